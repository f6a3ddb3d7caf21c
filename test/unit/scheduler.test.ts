/**
 * The scheduler on an injected ManualClock over one embedded store and a real router: ticks in
 * the job's time zone, one run per tick across two schedulers, no overlap, timeout, catch-up
 * after downtime, pause, notify modes, the job alert; and one tick of the real clock.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { pino } from 'pino';
import { Router } from '../../src/bot/router.js';
import { CommandRegistry } from '../../src/bot/registry.js';
import { AuditLog } from '../../src/core/audit.js';
import { Rbac } from '../../src/core/rbac.js';
import { Metrics } from '../../src/core/metrics.js';
import { Redactor } from '../../src/core/redact.js';
import { EmbeddedStore, type Store } from '../../src/core/store/index.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply, type Reply } from '../../src/core/reply.js';
import { rbacSchema } from '../../src/config/schema.js';
import { ManualClock, systemClock, type Clock } from '../../src/core/clock.js';
import type { MaintenanceWindows } from '../../src/core/maintenance/port.js';
import { Scheduler } from '../../src/core/scheduler/scheduler.js';
import type { JobDefinition } from '../../src/core/scheduler/types.js';
import type { WebhookPayload } from '../../src/core/alerts/payload.js';

const MIN = 60_000;

/** A `work <name>` command that finishes when the test says so (or at once), and `broken` that fails. */
function commands() {
  const started: string[] = [];
  const holds = new Map<string, () => void>();
  const hold = new Set<string>();
  const aborted: string[] = [];
  const registry = new CommandRegistry().register(
    defineCommand({
      name: 'work',
      summary: 'test work',
      params: [{ name: 'name', kind: 'positional', type: 'string', required: true, description: 'n' }],
      schema: z.object({ name: z.string() }),
      risk: 'write',
      targetOf: () => 'web',
      async run(_ctx, a) {
        started.push(a.name);
        if (hold.has(a.name)) await new Promise<void>((r) => holds.set(a.name, r));
        return textReply(`worked ${a.name}`, 'ok', '');
      },
    }),
    defineCommand({
      name: 'hang',
      summary: 'runs until its signal fires',
      params: [{ name: 'name', kind: 'positional', type: 'string', required: true, description: 'n' }],
      schema: z.object({ name: z.string() }),
      risk: 'write',
      targetOf: () => 'web',
      async run(ctx, a) {
        started.push(a.name);
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
        aborted.push(a.name);
        return textReply(`stopped ${a.name}`, 'fail', '');
      },
    }),
    defineCommand({
      name: 'broken', summary: 'fails', params: [], schema: z.object({}), risk: 'read', targetOf: () => 'web',
      async run() { return textReply('backup failed', 'fail', 'disk full'); },
    }),
  );
  return { registry, started, hold, aborted, release: (n: string) => holds.get(n)?.() };
}

async function setup(opts: { clock?: Clock; store?: Store; cmds?: ReturnType<typeof commands>; maintenance?: MaintenanceWindows } = {}) {
  const store = opts.store ?? await EmbeddedStore.open(null);
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 0, 5, 0, 0, 0));
  const cmds = opts.cmds ?? commands();
  const audit = new AuditLog(store);
  const router = new Router({
    registry: cmds.registry, audit, metrics: new Metrics(), log: pino({ level: 'silent' }), redactor: new Redactor([]),
    rbac: new Rbac(rbacSchema.parse({ roles: { ops: { allow: ['work', 'hang', 'broken'], targets: ['web'] } }, subjects: { 'system:job:nightly': ['ops'], 'system:job:slow': ['ops'], 'system:job:bad': ['ops'] } })),
    environmentOf: () => 'production', commandTimeoutMs: 10 * MIN,
  });
  const posts: { key: string; channel: string; reply: Reply }[] = [];
  const alerts: WebhookPayload[] = [];
  const make = (jobs: JobDefinition[]) => new Scheduler(jobs, {
    store, clock, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), runner: router.runner, audit, targetOf: () => 'web',
    outbox: { enqueue: async (key, channel, reply) => { posts.push({ key, channel, reply }); } },
    alerts: { receive: async (p) => { alerts.push(p); return 'accepted'; } },
    ...(opts.maintenance ? { maintenance: opts.maintenance } : {}),
  });
  return { store, clock, cmds, audit, router, posts, alerts, make };
}

const job = (over: Partial<JobDefinition> = {}): JobDefinition => ({
  name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', run: 'work backup', channel: 'fake:C1',
  notify: 'always', catchUp: 'skip', timeoutMs: 30 * MIN, paused: false, ...over,
});

const schedulers: Scheduler[] = [];
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop(1000);
});
function started(s: Scheduler): Scheduler {
  schedulers.push(s);
  return s;
}

describe('Scheduler on a ManualClock', () => {
  it('given a 02:00 Europe/Berlin job, when the clock passes 01:00 UTC in winter, then it runs once as system:job:nightly through the router and posts the result', async () => {
    const t = await setup();
    const s = started(t.make([job()]));
    await s.start();
    const clock = t.clock as ManualClock;
    clock.advance(59 * MIN);
    await s.idle();
    expect(t.cmds.started).toEqual([]);
    clock.advance(MIN);
    await s.idle();
    expect(t.cmds.started).toEqual(['backup']);
    const entries = await t.audit.list({ limit: 10, command: 'work' });
    expect(entries[0]).toMatchObject({ subject: 'system:job:nightly', surface: 'scheduler', outcome: 'ok', channel: 'fake:C1' });
    const [run] = await s.history('nightly', 5);
    expect(run).toMatchObject({ state: 'ok', trigger: 'schedule', slot: new Date('2026-01-05T01:00:00Z'), invocationId: entries[0]?.invocationId });
    expect(entries[0]?.parentInvocationId).toBe(run?._id);
    expect(t.posts).toHaveLength(1);
    expect(t.posts[0]).toMatchObject({ channel: 'fake:C1', reply: { title: 'Job nightly: worked backup', status: 'ok' } });
    expect(t.posts[0]?.reply.footer).toContain('scheduled 2026-01-05 02:00 Europe/Berlin');
    const [view] = await s.list();
    expect(view?.next).toEqual(new Date('2026-01-06T01:00:00Z'));
    expect(view?.last).toMatchObject({ state: 'ok', runId: run?._id });
  });

  it('given its target under maintenance, when the job runs, then it runs but posts nothing to its channel', async () => {
    const windows: MaintenanceWindows = {
      activeFor: async (target, at) => (target === 'web' && at < new Date('2026-01-05T03:00:00Z')
        ? { id: 'm1', target, from: new Date('2026-01-05T00:00:00Z'), until: new Date('2026-01-05T03:00:00Z'), by: 'console:ops' }
        : undefined),
    };
    const t = await setup({ maintenance: windows });
    const s = started(t.make([job({ cron: '0 * * * *' })]));
    await s.start();
    const clock = t.clock as ManualClock;
    clock.advance(60 * MIN);
    await s.idle();
    expect(t.cmds.started).toEqual(['backup']);
    expect(t.posts).toEqual([]);
    clock.advance(3 * 60 * MIN);
    await s.idle();
    expect(t.posts.length).toBeGreaterThan(0);
  });

  it('given two schedulers over one store (two replicas), when the tick comes, then the job runs once', async () => {
    const t = await setup();
    const a = started(t.make([job({ cron: '*/5 * * * *' })]));
    const b = started(t.make([job({ cron: '*/5 * * * *' })]));
    await a.start();
    await b.start();
    for (let i = 0; i < 3; i++) {
      (t.clock as ManualClock).advance(5 * MIN);
      await Promise.all([a.idle(), b.idle()]);
    }
    expect(t.cmds.started).toEqual(['backup', 'backup', 'backup']);
    const runs = await a.history('nightly', 10);
    expect(runs.map((r) => r.slot?.toISOString()).sort()).toEqual(['2026-01-05T00:05:00.000Z', '2026-01-05T00:10:00.000Z', '2026-01-05T00:15:00.000Z']);
  });

  it('given a run still going when the next tick is due, then that tick is skipped and said so in the channel', async () => {
    const t = await setup();
    t.cmds.hold.add('slow');
    const s = started(t.make([job({ name: 'slow', cron: '* * * * *', run: 'work slow', notify: 'failure' })]));
    await s.start();
    const clock = t.clock as ManualClock;
    clock.advance(MIN);
    await new Promise((r) => setImmediate(r));
    await waitUntil(() => t.cmds.started.length === 1);
    clock.advance(MIN);
    await waitUntil(async () => (await s.history('slow', 5)).some((r) => r.state === 'skipped'));
    t.cmds.release('slow');
    await s.idle();
    const runs = await s.history('slow', 5);
    expect(runs.map((r) => r.state).sort()).toEqual(['ok', 'skipped']);
    expect(runs.find((r) => r.state === 'skipped')?.reason).toMatch(/still running/);
    expect(t.cmds.started).toEqual(['slow']);
    expect(t.posts.map((p) => p.reply.title)).toEqual(['Job slow skipped']);
    expect((await t.audit.list({ limit: 20, command: 'job.skipped' }))).toHaveLength(1);
  });

  it('given a run that outlasts its timeout, then it is marked timeout, posted as a failure, and the next tick runs', async () => {
    const t = await setup();
    t.cmds.hold.add('slow');
    const s = started(t.make([job({ name: 'slow', cron: '*/10 * * * *', run: 'work slow', notify: 'failure', timeoutMs: 2 * MIN })]));
    await s.start();
    const clock = t.clock as ManualClock;
    clock.advance(10 * MIN);
    await waitUntil(() => t.cmds.started.length === 1);
    clock.advance(2 * MIN);
    await waitUntil(async () => (await s.history('slow', 5))[0]?.state === 'timeout');
    // The post follows the record (it first asks whether the target is under maintenance)
    await waitUntil(async () => t.posts.length > 0);
    expect(t.posts.map((p) => [p.reply.title, p.reply.status])).toEqual([['Job slow timed out', 'fail']]);
    t.cmds.hold.clear();
    t.cmds.release('slow');
    clock.advance(8 * MIN);
    await s.idle();
    expect((await s.history('slow', 5)).map((r) => r.state)).toEqual(['ok', 'timeout']);
  });

  it('given a command that runs until it is stopped, when the job times out, then the command is aborted and its audit entry ends with the code timeout', async () => {
    const t = await setup();
    const s = started(t.make([job({ name: 'slow', cron: '*/10 * * * *', run: 'hang forever', notify: 'failure', timeoutMs: 2 * MIN })]));
    await s.start();
    const clock = t.clock as ManualClock;
    clock.advance(10 * MIN);
    await waitUntil(() => t.cmds.started.length === 1);
    expect(t.cmds.aborted).toEqual([]);
    clock.advance(2 * MIN);
    await waitUntil(() => t.cmds.aborted.length === 1);
    await s.idle();
    expect((await s.history('slow', 5))[0]?.state).toBe('timeout');
    await waitUntil(async () => (await t.audit.list({ limit: 5, command: 'hang' }))[0]?.code === 'timeout');
    const [entry] = await t.audit.list({ limit: 5, command: 'hang' });
    expect(entry).toMatchObject({ subject: 'system:job:slow', outcome: 'failed', code: 'timeout', message: expect.stringContaining('was stopped by what started it') });
    // The next tick is not held off by the stopped run.
    clock.advance(8 * MIN);
    await waitUntil(() => t.cmds.started.length === 2);
    clock.advance(2 * MIN);
    await waitUntil(() => t.cmds.aborted.length === 2);
    await s.idle();
  });

  it('given the bot was down over two 02:00 slots, when it starts with catchUp: run, then it reports the missed runs and runs once now; with catchUp: skip it only reports', async () => {
    const t = await setup();
    const jobs = [job(), job({ name: 'bad', run: 'broken', catchUp: 'skip' })];
    const first = t.make(jobs);
    await first.start();
    await first.stop(1000);
    (t.clock as ManualClock).advance(2 * 24 * 60 * MIN);
    const second = started(t.make([{ ...jobs[0] as JobDefinition, catchUp: 'run' }, jobs[1] as JobDefinition]));
    await second.start();
    await second.idle();
    expect(t.cmds.started).toEqual(['backup']);
    const [caught] = await second.history('nightly', 5);
    expect(caught).toMatchObject({ trigger: 'catch-up', state: 'ok', slot: new Date('2026-01-06T01:00:00Z') });
    const [skipped] = await second.history('bad', 5);
    expect(skipped).toMatchObject({ trigger: 'catch-up', state: 'skipped' });
    const missed = t.posts.filter((p) => p.reply.title.endsWith('missed while down'));
    expect(missed.map((p) => p.reply.title).sort()).toEqual(['Job bad: missed while down', 'Job nightly: missed while down']);
    expect(missed.find((p) => p.reply.title.startsWith('Job nightly'))?.reply.blocks[0]).toMatchObject({ text: expect.stringContaining('2 scheduled runs') });
    expect(await t.audit.list({ limit: 10, command: 'job.missed' })).toHaveLength(2);
    // A second replica starting at the same time reports nothing more and runs nothing more.
    const third = started(t.make([{ ...jobs[0] as JobDefinition, catchUp: 'run' }, jobs[1] as JobDefinition]));
    await third.start();
    await third.idle();
    expect(t.cmds.started).toEqual(['backup']);
    expect(t.posts.filter((p) => p.reply.title.endsWith('missed while down'))).toHaveLength(2);
  });

  it('given a paused job, when its tick comes, then it does not run; resumed, it runs again; pause state is shared through the store', async () => {
    const t = await setup();
    const s = started(t.make([job({ cron: '0 * * * *' })]));
    const other = t.make([job({ cron: '0 * * * *' })]);
    await s.start();
    expect(await other.setPaused('nightly', true, 'slack:U1')).toBe(true);
    expect(await s.setPaused('nightly', true, 'slack:U1')).toBe(false);
    (t.clock as ManualClock).advance(60 * MIN);
    await s.idle();
    expect(t.cmds.started).toEqual([]);
    expect((await s.list())[0]).toMatchObject({ paused: true, next: undefined });
    await other.setPaused('nightly', false, 'slack:U1');
    (t.clock as ManualClock).advance(60 * MIN);
    await s.idle();
    expect(t.cmds.started).toEqual(['backup']);
  });

  it('given a paused every-hour job in two replicas, when many ticks pass, then each pause leaves one skipped record, not one per tick', async () => {
    const t = await setup();
    const a = started(t.make([job({ cron: '0 * * * *' })]));
    const b = started(t.make([job({ cron: '0 * * * *' })]));
    await a.start();
    await b.start();
    const clock = t.clock as ManualClock;
    const hours = async (n: number) => {
      for (let i = 0; i < n; i++) {
        clock.advance(60 * MIN);
        await Promise.all([a.idle(), b.idle()]);
      }
    };
    await a.setPaused('nightly', true, 'slack:U1');
    await hours(5);
    let runs = await a.history('nightly', 20);
    expect(runs.map((r) => [r.state, r.reason])).toEqual([['skipped', 'paused by slack:U1']]);
    await b.setPaused('nightly', false, 'slack:U2');
    await hours(1);
    await a.setPaused('nightly', true, 'slack:U2');
    await hours(3);
    runs = await a.history('nightly', 20);
    expect(runs.map((r) => r.state)).toEqual(['skipped', 'ok', 'skipped']);
    expect(t.cmds.started).toEqual(['backup']);
    // Resumed after the pause, a restart reports no runs missed during it.
    await a.setPaused('nightly', false, 'slack:U2');
    await a.stop(100);
    await b.stop(100);
    const c = started(t.make([job({ cron: '0 * * * *' })]));
    await c.start();
    expect(t.posts.filter((p) => p.reply.title.endsWith('missed while down'))).toEqual([]);
  });

  it('given notify: change, then only the first run and a change of outcome are posted', async () => {
    const t = await setup();
    const s = started(t.make([job({ cron: '0 * * * *', notify: 'change' })]));
    await s.start();
    for (let i = 0; i < 3; i++) {
      (t.clock as ManualClock).advance(60 * MIN);
      await s.idle();
    }
    expect(t.posts).toHaveLength(1);
  });

  it('given alert: true, when a run fails, then a firing job alert is raised, and the next good run resolves it', async () => {
    const t = await setup();
    const bad = job({ name: 'bad', cron: '0 * * * *', run: 'broken', notify: 'failure', alert: { severity: 'critical' } });
    const s = started(t.make([bad]));
    await s.start();
    (t.clock as ManualClock).advance(60 * MIN);
    await s.idle();
    expect(t.posts.map((p) => [p.reply.title, p.reply.status])).toEqual([['Job bad: backup failed', 'fail']]);
    expect(t.alerts).toHaveLength(1);
    expect(t.alerts[0]).toMatchObject({ version: '4', status: 'firing', commonLabels: { alertname: 'OpsbotJobFailed', job: 'bad', severity: 'critical', target: 'web' } });
    // The command is fixed: the next run is good and resolves the alert.
    await s.stop(100);
    const fixed = started(t.make([{ ...bad, run: 'work fixed' }]));
    await fixed.start();
    (t.clock as ManualClock).advance(60 * MIN);
    await fixed.idle();
    expect(t.alerts.map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(t.alerts[1]?.alerts[0]?.startsAt).toBe(t.alerts[0]?.alerts[0]?.startsAt);
  });

  it('given runNow, then it returns the run id at once and a second runNow while it runs is refused', async () => {
    const t = await setup();
    t.cmds.hold.add('backup');
    const s = started(t.make([job()]));
    const run = await s.runNow('nightly', 'slack:U1', 'inv1');
    expect(run).toMatchObject({ state: 'running', trigger: 'manual', by: 'slack:U1' });
    await waitUntil(() => t.cmds.started.length === 1);
    await expect(s.runNow('nightly', 'slack:U1', 'inv2')).rejects.toMatchObject({ code: 'conflict' });
    t.cmds.release('backup');
    await s.idle();
    expect((await s.history('nightly', 5)).find((r) => r._id === run._id)).toMatchObject({ state: 'ok' });
    await expect(s.runNow('nope', 'slack:U1', 'inv3')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('Scheduler on the real clock', () => {
  it('given a every-second expression, when a real second passes, then it fires on the system clock', async () => {
    const t = await setup({ clock: systemClock });
    const s = started(t.make([job({ cron: '* * * * * *', timezone: 'UTC' })]));
    await s.start();
    await waitUntil(() => t.cmds.started.length >= 1, 3000);
    await s.stop(1000);
    const [run] = await s.history('nightly', 1);
    expect(run?.slot?.getUTCMilliseconds()).toBe(0);
    expect(run?.state).toBe('ok');
  });
});

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Scheduler.rearm (config reload)', () => {
  it('given a running job, when the jobs are re-armed without it, with a new job and a changed cron, then the run finishes, the removed job never runs again, the new one runs and the changed one is due at its new time', async () => {
    const t = await setup();
    t.cmds.hold.add('slowjob');
    const s = started(t.make([job({ timezone: 'UTC' }), job({ name: 'slow', cron: '0 * * * *', timezone: 'UTC', run: 'work slowjob' })]));
    await s.start();
    const clock = t.clock as ManualClock;
    clock.advance(60 * MIN); // 01:00 UTC: slow starts and holds
    await new Promise((r) => setTimeout(r, 50));
    expect(t.cmds.started).toEqual(['slowjob']);

    const changes = s.rearm([job({ cron: '0 3 * * *', timezone: 'UTC' }), job({ name: 'bad', cron: '*/10 * * * *', timezone: 'UTC', run: 'work fresh' })]);
    expect(changes).toEqual({ added: ['bad'], removed: ['slow'], changed: ['nightly'] });
    expect(s.names()).toEqual(['nightly', 'bad']);

    t.cmds.release('slowjob');
    await s.idle();
    expect((await t.store.collection<{ _id: string; job: string; state: string }>('job_runs').find({ job: 'slow' })).map((r) => r.state)).toEqual(['ok']);

    clock.advance(10 * MIN); // 01:10: the new job runs
    await s.idle();
    expect(t.cmds.started).toEqual(['slowjob', 'fresh']);
    for (let i = 0; i < 6; i++) { clock.advance(10 * MIN); await s.idle(); } // to 02:10
    await s.idle();
    // slow would have run at 02:00, nightly under its old cron too: neither did.
    expect(t.cmds.started).toEqual(['slowjob', 'fresh', 'fresh', 'fresh', 'fresh', 'fresh', 'fresh', 'fresh']);
    const nightly = (await s.list()).find((v) => v.job.name === 'nightly');
    expect(nightly?.next).toEqual(new Date('2026-01-05T03:00:00Z'));
  });
});

/**
 * Runbooks through the user's path: a real bot in-process (router, RBAC, audit, outbox), test
 * commands as steps, a recording Slack gateway, and a fake approvals service.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { FakeApprovals } from '../support/fake-approvals.js';
import { payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';
import { defineCommand, type Subject } from '../../src/core/command.js';
import { textReply, type Status } from '../../src/core/reply.js';
import type { RunRecord } from '../../src/core/runbooks/run.js';

const YAML = `
targets:
  web: { environment: staging }
  db: { environment: production }
rbac:
  roles:
    admin: { allow: ["*"] }
    staging: { allow: ["runbook *", "runbook", "probe", "echo", "fix"], environments: [staging] }
  subjects: { "slack:UADMIN": [admin], "slack:USTAGE": [staging], "console:operator": [admin], "system:runbook:check-web": [staging] }
alerting:
  routes:
    - { name: web-down, matchers: ['alertname="WebDown"'], channels: [slack:C0ALERTS], runbook: check-web, autoRun: true }
runbooks:
  service-down:
    description: check, fix after approval, verify, watch
    params: [target]
    steps:
      - run: "probe {{target}}"
      - run: "fix {{target}}"
        approval: true
      - run: "probe {{target}} --mode {{mode}}"
        expect: ok
      - watch: "probe {{target}}"
        every: 1s
        for: 2s
  soft:
    params: [target]
    steps:
      - run: "probe {{target}} --mode fail"
        continue: true
      - run: "probe {{target}} --mode warn"
        expect: ok
      - run: "probe {{target}}"
  inject:
    params: [target]
    steps:
      - run: "echo {{labels.instance}}"
      - run: "echo {{annotations.summary}}"
  direct:
    params: [target]
    steps:
      - run: "fix {{target}}"
  check-web:
    params: [target]
    steps:
      - run: "probe {{target}}"
`;

const admin: Subject = { id: 'slack:UADMIN', display: '@admin' };

interface Harness { tb: TestBot; slack: RecordingGateway; approvals: FakeApprovals; calls: string[]; echoed: string[] }

async function harness(): Promise<Harness> {
  const slack = new RecordingGateway('slack');
  const approvals = new FakeApprovals();
  const calls: string[] = [];
  const echoed: string[] = [];
  const target = { name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' } as const;
  const tb = await startTestBot({
    yaml: YAML.replace('{{mode}}', 'ok'),
    http: false,
    extra: { chatGateways: [slack], approvals },
    beforeStart(bot) {
      approvals.bind(bot.router.runner);
      bot.registry.register(
        defineCommand({
          name: 'probe', summary: 'test probe', risk: 'read',
          params: [target, { name: 'mode', kind: 'flag', type: 'string', description: 'ok|warn|fail' }],
          schema: z.object({ target: z.string(), mode: z.enum(['ok', 'warn', 'fail']).default('ok') }),
          targetOf: (a) => a.target,
          async run(_c, a) { calls.push(`probe ${a.target} ${a.mode}`); return textReply(`probe ${a.target}: ${a.mode}`, a.mode as Status, ''); },
        }),
        defineCommand({
          name: 'fix', summary: 'test fix', risk: 'dangerous', params: [target], schema: z.object({ target: z.string() }), targetOf: (a) => a.target,
          async run(_c, a) { calls.push(`fix ${a.target}`); return textReply(`fixed ${a.target}`, 'ok', ''); },
        }),
        defineCommand({
          name: 'echo', summary: 'test echo', risk: 'read', touches: () => 'filtered',
          params: [{ name: 'value', kind: 'positional', type: 'string', required: true, description: 'one value' }],
          schema: z.object({ value: z.string() }),
          async run(_c, a) { echoed.push(a.value); return textReply(`echo ${a.value}`, 'ok', ''); },
        }),
      );
    },
  });
  return { tb, slack, approvals, calls, echoed };
}

let h: Harness | undefined;
afterEach(async () => { await h?.tb.stop(); h = undefined; });

const ask = (line: string, subject: Subject = admin) => (h as Harness).tb.bot.router.handle({ subject, surface: 'slack', channel: 'C0OPS', line });
const runIdOf = (title: string) => /run ([0-9a-f]{8})/.exec(title)?.[1] as string;
const runOf = async (id: string) => (await (h as Harness).tb.bot.runbooks.get(id)) as RunRecord;

describe('runbooks', () => {
  it('given service-down, when started, then it returns the run id at once, waits for the approval, and after it goes on to the end', async () => {
    h = await harness();
    // When
    const r = await ask('runbook service-down web');
    // Then the reply carries the run id, and the run goes on in the background
    expect(r.outcome).toBe('ok');
    const id = runIdOf(r.reply.title);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    await waitFor(async () => ((await runOf(id)).state === 'waiting' ? true : undefined), { what: 'waiting' });
    const waiting = await runOf(id);
    expect(waiting.waiting).toBe(h.approvals.held[0]?.id);
    expect(waiting.steps.map((s) => s.state)).toEqual(['ok', 'waiting', 'pending', 'pending']);
    expect(h.calls).toEqual(['probe web ok']);
    // And the held step is the child of the run's invocation, as the starting subject
    expect(h.approvals.held[0]?.invocation).toMatchObject({ line: 'fix web', parentId: r.invocationId, subject: { id: admin.id }, approval: 'required' });

    // When it is approved
    await h.approvals.decide(waiting.waiting as string, 'approved');
    await h.tb.bot.runbooks.idle();
    // Then the run finishes; the watch ran three times (0s, 1s, 2s)
    const done = await runOf(id);
    expect(done.state).toBe('succeeded');
    expect(h.calls).toEqual(['probe web ok', 'fix web', 'probe web ok', 'probe web ok', 'probe web ok', 'probe web ok']);
    expect(done.steps[3]).toMatchObject({ state: 'ok', done: 3, total: 3 });

    // And every step is audited with the run's invocation as parent
    const entries = await h.tb.bot.audit.list({ limit: 50 });
    const children = entries.filter((e) => e.parentInvocationId === r.invocationId);
    // (`fix web` twice: once held by the gate, once run after the approval)
    expect(children.map((e) => e.line).sort()).toEqual(['fix web', 'fix web', 'probe web', 'probe web', 'probe web', 'probe web', 'probe web --mode ok'].sort());

    // And the run is ONE message in the channel, updated in place, with each step's result in its thread
    await h.tb.bot.outbox.idle(10_000);
    const posts = h.slack.calls.filter((c) => c.op === 'post' && c.channel === 'C0OPS' && !c.thread);
    expect(posts).toHaveLength(1);
    const root = posts[0]?.id as string;
    expect(h.slack.messages.get(root)?.reply.title).toBe('Runbook service-down · web — done');
    expect(h.slack.calls.filter((c) => c.op === 'update' && c.id === root).length).toBeGreaterThan(2);
    const thread = h.slack.calls.filter((c) => c.op === 'post' && c.thread === root).map((c) => c.reply.title);
    expect(thread.length).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('given a denied approval, then the run stops there and the step never runs', async () => {
    h = await harness();
    const id = runIdOf((await ask('runbook service-down web')).reply.title);
    await waitFor(async () => ((await runOf(id)).state === 'waiting' ? true : undefined), { what: 'waiting' });
    await h.approvals.decide((await runOf(id)).waiting as string, 'denied');
    const run = await runOf(id);
    expect(run.state).toBe('failed');
    expect(run.reason).toMatch(/approval r\w+ denied/);
    expect(h.calls).toEqual(['probe web ok']);
  });

  it('given continue and expect, then a failing continue step goes on and a warn under expect: ok stops the run', async () => {
    h = await harness();
    const id = runIdOf((await ask('runbook soft web')).reply.title);
    await h.tb.bot.runbooks.idle();
    const run = await runOf(id);
    expect(run.steps.map((s) => s.state)).toEqual(['failed', 'failed', 'pending']);
    expect(run.state).toBe('failed');
    expect(run.steps[1]?.summary).toMatch(/expected ok, got warn/);
    expect(h.calls).toEqual(['probe web fail', 'probe web warn']);
  });

  it('given a runbook started from an alert, then a label value like "x; restart db" stays one argument', async () => {
    h = await harness();
    await h.tb.bot.alerts.receive(payload({ alertname: 'Injected', commonLabels: { target: 'web' }, alerts: [{ labels: { instance: 'x; restart db' }, annotations: { summary: 'a" --dry-run "b' } }] }));
    await h.tb.bot.alerts.settled();
    const [g] = await h.tb.bot.alerts.listOpen();
    const r = await ask(`runbook inject --alert ${g?._id}`);
    expect(r.error).toBeUndefined();
    await h.tb.bot.runbooks.idle();
    expect(h.echoed).toEqual(['x; restart db', 'a" --dry-run "b']);
    expect(h.calls).toEqual([]);
    expect((await runOf(runIdOf(r.reply.title))).state).toBe('succeeded');
  });

  it('given --dry-run, then every step is listed with its own dry-run description and nothing runs', async () => {
    h = await harness();
    const r = await ask('runbook service-down web --dry-run');
    expect(r.outcome).toBe('ok');
    const text = JSON.stringify(r.reply.blocks);
    for (const line of ['probe web', 'fix web', 'probe web --mode ok']) expect(text).toContain(`\`${line}\``);
    expect(text).toContain('(after approval)');
    expect(text).toContain('every 1s for 2s');
    expect(h.calls).toEqual([]);
    expect(await h.tb.bot.runbooks.recent()).toEqual([]);
  });

  it('given a role limited to staging, then it may run the runbook on web but not on db', async () => {
    h = await harness();
    const stage: Subject = { id: 'slack:USTAGE' };
    expect((await ask('runbook soft db', stage)).outcome).toBe('denied');
    expect((await ask('runbook soft web', stage)).outcome).toBe('ok');
  });

  it('given a run waiting for approval, when cancelled, then it stops and cancel again is a conflict', async () => {
    h = await harness();
    const id = runIdOf((await ask('runbook service-down web')).reply.title);
    await waitFor(async () => ((await runOf(id)).state === 'waiting' ? true : undefined), { what: 'waiting' });
    expect((await ask(`runbook cancel ${id}`)).outcome).toBe('ok');
    expect((await runOf(id)).state).toBe('cancelled');
    const again = await ask(`runbook cancel ${id}`);
    expect(again.error?.code).toBe('conflict');
    // And an approval arriving afterwards changes nothing
    await h.approvals.decide(h.approvals.held[0]?.id as string, 'approved');
    expect((await runOf(id)).state).toBe('cancelled');
  });

  it('given bad input, then the errors name the problem', async () => {
    h = await harness();
    expect((await ask('runbook nope web')).error?.message).toMatch(/unknown runbook "nope"/);
    expect((await ask('runbook soft')).error?.message).toMatch(/needs target/);
    expect((await ask('runbook soft web --param x=1')).error?.message).toMatch(/has no param x/);
    expect((await ask('runbook soft ghost')).error?.message).toMatch(/unknown target "ghost"/);
    expect((await ask('runbook resume 0000abcd')).error?.code).toBe('not_found');
  });

  it('given a route with autoRun, when its group opens, then the read-only runbook starts by itself once', async () => {
    h = await harness();
    await h.tb.bot.alerts.receive(payload({ alertname: 'WebDown', commonLabels: { target: 'web' }, alerts: [{}] }));
    await h.tb.bot.alerts.settled();
    const [g] = await h.tb.bot.alerts.listOpen();
    const group = g as NonNullable<typeof g>;
    expect(group.routes).toEqual([expect.objectContaining({ route: 'web-down', runbook: 'check-web' })]);
    await h.tb.bot.runbooks.onAlertEvent({ type: 'opened', group });
    await h.tb.bot.runbooks.onAlertEvent({ type: 'opened', group });
    await h.tb.bot.runbooks.idle();
    const runs = await h.tb.bot.runbooks.recent();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ runbook: 'check-web', state: 'succeeded', alert: group._id, channels: ['slack:C0ALERTS'], subject: { id: 'system:runbook:check-web' } });
    expect(h.tb.bot.runbooks.autoRunRefusal('service-down')).toBeUndefined();
    expect(h.tb.bot.runbooks.autoRunRefusal('direct')).toMatch(/step 1 \(fix \{\{target\}\}\) is dangerous/);
  });
});

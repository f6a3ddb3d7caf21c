/**
 * Reloading `targets` (and the services built on them) in a real bot, through the router: a new
 * health check answers in `health web`, in the scheduled job and in the runbook step that run it; a removed target
 * answers "No target named"; a changed environment is what RBAC and approvals judge from then
 * on; a command that runs across the reload finishes on the checks it started with; a reload that
 * removes a target a job, runbook step, role or approval rule still names is refused with the key
 * path; a backup under way keeps its lock across the reload; and old user-directory connections
 * are closed (reloading N times, the PostgreSQL server sees one client connection, not N).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { reloadingBot, type Reloading } from '../support/reloading-bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import pgDriver from 'pg';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Subject } from '../../src/core/command.js';
import type { Gate } from '../../src/core/invocation.js';
import { FakeApprovals } from '../support/fake-approvals.js';

const op: Subject = { id: 'console:op', display: 'op' };
const stager: Subject = { id: 'slack:U0STAGE', display: 'stager' };

/** A loopback HTTP server: `/ok` answers 200 at once; `/slow` answers once `release()` is called. */
async function checkServer() {
  const held: http.ServerResponse[] = [];
  let slowSeen = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      slowSeen++;
      held.push(res);
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    slowSeen: () => slowSeen,
    release: () => { for (const res of held.splice(0)) res.end('ok'); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('reload of targets: the new checks, targets and environments apply to the next command', () => {
  let srv: Awaited<ReturnType<typeof checkServer>>;
  let r: Reloading;
  let chat: RecordingGateway;
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 7, 30));

  const config = (o: { webChecks: string; webEnv?: string; db?: boolean; jobRuns?: string; stagerTargets?: string; runbook?: string; rule?: string }) => `
bot: { consoleUser: "console:op", checkTimeout: 10s, commandTimeout: 30s }
alerting: { defaultChannel: fake:alerts, rate: { messages: 100, per: 1s } }
targets:
  web:
    environment: ${o.webEnv ?? 'staging'}
    health:
${o.webChecks}
${o.db === false ? '' : `  db:
    environment: staging
    health:
      - { name: db-home, http: { url: "${srv.url}/ok" } }`}
rbac:
  roles:
    admin: { allow: ["*"] }
    stager: { allow: [health], environments: [staging]${o.stagerTargets ? `, targets: [${o.stagerTargets}]` : ''} }
  subjects: { "console:op": [admin], "slack:U0STAGE": [stager] }
jobs:
  webcheck: { cron: "0 3 * * *", run: "${o.jobRuns ?? 'health web'}", channel: fake:C0JOBS, notify: always, role: admin }
${o.runbook ? `runbooks:\n  check: { steps: [ { run: "${o.runbook}" } ] }` : ''}
${o.rule ? `approvals:\n  rules:\n    - ${o.rule}` : ''}
`;
  const check = (name: string, path = '/ok') => `      - { name: ${name}, http: { url: "${srv.url}${path}" } }`;
  const health = (line: string, subject = op) => r.t.bot.router.handle({ subject, surface: 'fake', channel: 'C0OPS', line });
  const text = (v: unknown) => JSON.stringify(v);

  beforeAll(async () => {
    srv = await checkServer();
    chat = new RecordingGateway('fake');
    r = await reloadingBot(config({ webChecks: check('home') }), { chatGateways: [chat], clock });
  }, 30_000);
  afterAll(async () => {
    await r?.cleanup();
    await srv?.close();
  });

  it('given a health check added to web, when the file is reloaded, then `health web` and the job that runs it show the new check', async () => {
    const before = await health('health web');
    expect(text(before.reply)).not.toContain('api');

    const result = await r.reload(config({ webChecks: `${check('home')}\n${check('api')}` }));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['targets'] });

    const after = await health('health web');
    expect(after.outcome).toBe('ok');
    expect(text(after.reply)).toContain('api');
    expect(text(after.reply)).toContain('home');

    const ran = await health('jobs run webcheck');
    expect(ran.outcome).toBe('ok');
    await r.t.bot.scheduler.idle();
    const posted = await waitFor(() => chat.calls.find((c) => c.channel === 'C0JOBS'), { what: 'the job result' });
    expect(text(posted.reply)).toContain('api');
  });

  it('given a target removed, when reloaded, then commands on it answer that there is no such target, and the others still run', async () => {
    const result = await r.reload(config({ webChecks: check('home'), db: false }));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['targets'] });
    const gone = await health('health db');
    expect(gone.outcome).not.toBe('ok');
    expect(text(gone.reply)).toContain('No target named \\"db\\"');
    expect((await health('health web')).outcome).toBe('ok');
    const all = await health('health all');
    expect(text(all.reply)).not.toContain('db-home');
  });

  it('given web moved from staging to production, when reloaded, then a role limited to staging may no longer run health on it, and an approval rule on production holds it', async () => {
    expect((await health('health web', stager)).outcome).toBe('ok');
    expect((await r.reload(config({ webChecks: check('home'), webEnv: 'production' }))).outcome).toBe('applied');
    const denied = await health('health web', stager);
    expect(denied.outcome).toBe('denied');
    expect((await health('health db', stager)).outcome).toBe('ok');

    expect((await r.reload(config({ webChecks: check('home'), webEnv: 'production', rule: '{ commands: [health], environments: [production], approvers: [admin] }' }))).outcome).toBe('applied');
    const held = await health('health web');
    expect(held.pending?.approval).toBeDefined();
    expect((await r.reload(config({ webChecks: check('home') }))).outcome).toBe('applied');
  });

  it('given a health run under way, when the file is reloaded with other checks, then that run finishes on the checks it began with and the next one uses the new ones', async () => {
    expect((await r.reload(config({ webChecks: check('slowone', '/slow') }))).outcome).toBe('applied');
    const seen = srv.slowSeen();
    const running = health('health web');
    await waitFor(() => srv.slowSeen() > seen, { what: 'the slow check under way' });

    expect((await r.reload(config({ webChecks: check('fresh') }))).outcome).toBe('applied');
    srv.release();
    const first = await running;
    expect(text(first.reply)).toContain('slowone');
    expect(text(first.reply)).not.toContain('fresh');
    const next = await health('health web');
    expect(text(next.reply)).toContain('fresh');
    expect(text(next.reply)).not.toContain('slowone');
  });

  it('given a runbook whose step runs `health web`, when a failing check is added by reload, then the next run of it fails on that check', async () => {
    const closed = `      - { name: closed-port, tcp: { host: 127.0.0.1, port: ${await freePort()} } }`;
    const runOnce = async () => {
      const started = await health('runbook check');
      expect(started.outcome).toBe('ok');
      const id = /run ([0-9a-f]+)/.exec(started.reply.title)?.[1] as string;
      return waitFor(async () => {
        clock.advance(1_000);
        const shown = await health(`runbook show ${id}`);
        const t = text(shown.reply);
        return /— (done|failed at)/.test(shown.reply.title) ? { title: shown.reply.title, t } : undefined;
      }, { what: `runbook run ${id} done` });
    };
    expect((await r.reload(config({ webChecks: check('home'), runbook: 'health web' }))).outcome).toBe('applied');
    const before = await runOnce();
    expect(before.title).toBe('Runbook check — done');
    expect(before.t).toContain('✓ ok');
    expect((await r.reload(config({ webChecks: `${check('home')}\n${closed}`, runbook: 'health web' }))).outcome).toBe('applied');
    const after = await runOnce();
    expect(after.title).toBe('Runbook check — failed at step 1 of 1');
    expect(after.t).toContain('step 1 failed: Health: web');
  });

  it('given a reload that removes a target still named by a job, a runbook step, a role and an approval rule, then it is refused with each key path and nothing applies', async () => {
    const before = r.t.bot.config;
    const result = await r.reload(config({
      webChecks: check('home'), db: false, jobRuns: 'health db', runbook: 'health db', stagerTargets: 'db',
      rule: '{ commands: [health], targets: [db], approvers: [admin] }',
    }));
    expect(result.outcome).toBe('refused');
    expect(result.problems).toEqual([
      'jobs.webcheck.run: "health db" names target "db", which this reload removes',
      'runbooks.check.steps[0].run: "health db" names target "db", which this reload removes',
      'rbac.roles.stager.targets[0]: names target "db", which this reload removes',
      'approvals.rules[0].targets[0]: names target "db", which this reload removes',
    ]);
    expect(r.t.bot.config).toBe(before);
    expect((await health('health db')).outcome).toBe('ok');
  });
});

describeWithServers(['initdb', 'postgres', 'psql', 'pg_dump', 'pg_restore'], 'reload of targets: the backup lock holds across it, the replaced user directories are closed (real PostgreSQL)', () => {
  let pg: PostgresServer;
  let r: Reloading;
  let tmp: { dir: string; cleanup: () => Promise<void> };

  const config = (n: number) => `
bot: { consoleUser: "console:op" }
targets:
  app:
    environment: staging
    health:
      - { name: tcp-${n}, tcp: { host: 127.0.0.1, port: ${pg.port} } }
    users:
      sql: { url: "${pg.urlFor('app')}", table: users }
      lookup: email
      locked: { any: [ { field: locked, value: true } ] }
      unlock: { set: { locked: false } }
    backups:
      kind: postgres
      source: "${pg.urlFor('app')}"
      destination: ${tmp.dir}/backups
`;
  const clients = async () => Number(await pg.psql("select count(*) from pg_stat_activity where datname = 'app' and pid <> pg_backend_pid()", 'postgres'));
  /** Holds `user …` commands between RBAC and their run while `hold` is set (as an approvals gate or the audit write may). */
  let hold: { entered: () => void; released: Promise<void> } | undefined;
  const heldGate: Gate = async ({ command }) => {
    if (hold && command.name.startsWith('user ')) {
      hold.entered();
      await hold.released;
    }
    return undefined;
  };

  beforeAll(async () => {
    pg = await startPostgres();
    tmp = await tmpDir('opsbot-reload-pg-');
    await pg.psql('create database app');
    await pg.psql("create table users (id integer primary key, email text not null, locked boolean not null default false); insert into users values (1, 'a@example.com', true)", 'app');
    r = await reloadingBot(config(0), { approvals: { gate: heldGate, events: new FakeApprovals().events } });
  }, 60_000);
  afterAll(async () => {
    await r?.cleanup();
    await pg?.stop();
    await tmp?.cleanup();
  });

  it('given a backup waiting on a locked table, when the targets are reloaded, then a second backup on the new services is refused by the shared lock and the first finishes on the old ones', async () => {
    const locker = new pgDriver.Client({ connectionString: pg.urlFor('app') });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table users in access exclusive mode');
    const first = r.t.bot.router.handle({ subject: op, surface: 'console', line: 'backup run app' });
    try {
      await waitFor(async () => Number(await pg.psql("select count(*) from pg_stat_activity where application_name = 'pg_dump' and wait_event_type = 'Lock'")) > 0, { what: 'pg_dump waiting on the lock', timeoutMs: 20_000 });
      expect((await r.reload(config(100))).outcome).toBe('applied');
      const second = await r.t.bot.router.handle({ subject: op, surface: 'console', line: 'backup run app' });
      expect(second.outcome).not.toBe('ok');
      expect(JSON.stringify(second.reply)).toContain('already running');
    } finally {
      await locker.query('commit');
      await locker.end();
    }
    const done = await first;
    expect(done.outcome).toBe('ok');
    expect(done.reply.status).toBe('ok');
  }, 60_000);

  it('given `user locked` looked up before a reload of the targets and run after it, when the old services were closed meanwhile, then it runs on the new ones instead of a closed database client', async () => {
    expect((await r.t.bot.router.handle({ subject: op, surface: 'console', line: 'user locked app' })).outcome).toBe('ok');
    let release = () => undefined as void;
    const entered = new Promise<void>((resolve) => {
      hold = { entered: resolve, released: new Promise<void>((r2) => { release = r2; }) };
    });
    const call = r.t.bot.router.handle({ subject: op, surface: 'console', line: 'user locked app' });
    await entered;
    hold = undefined;
    // Nothing of the old generation runs: it is closed at once.
    expect((await r.reload(config(200))).outcome).toBe('applied');
    release();
    const result = await call;
    expect(result.outcome).toBe('ok');
    expect(JSON.stringify(result.reply)).toContain('a@example.com');
  }, 30_000);

  it('given `user locked` between each of 5 reloads of the targets, then the server sees at most one client of the bot, and none after stop', async () => {
    const locked = () => r.t.bot.router.handle({ subject: op, surface: 'console', line: 'user locked app' });
    const first = await locked();
    expect(first.outcome).toBe('ok');
    expect(JSON.stringify(first.reply)).toContain('a@example.com');
    expect(await clients()).toBe(1);
    for (let n = 1; n <= 5; n++) {
      expect((await r.reload(config(n))).outcome).toBe('applied');
      expect((await locked()).outcome).toBe('ok');
      await waitFor(async () => (await clients()) <= 1, { what: `the replaced directory's connection closed (reload ${n})`, timeoutMs: 5_000 });
    }
    expect(await clients()).toBe(1);
    await r.t.bot.stop();
    await waitFor(async () => (await clients()) === 0, { what: 'no client after stop', timeoutMs: 5_000 });
  }, 60_000);
});

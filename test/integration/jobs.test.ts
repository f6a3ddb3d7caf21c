/**
 * Scheduled jobs in a real bot: config checks at load and start, ticks on an injected
 * ManualClock, a failing job raising an alert group through the bot's AlertService, `jobs` /
 * `jobs run` / `jobs history` / `jobs pause` through the router, and `opsbot exec "jobs"`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli } from '../support/process.js';
import { parseConfigText } from '../../src/config/load.js';
import { ManualClock } from '../../src/core/clock.js';

const MIN = 60_000;
const operator = { id: 'fake:U1' };

async function yaml(): Promise<string> {
  return `
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 100, per: 1s }
targets:
  web:
    health:
      - name: nothing listens
        tcp: { host: 127.0.0.1, port: ${await freePort()} }
rbac:
  roles:
    admin: { allow: ["*"] }
    checker: { allow: ["health"], targets: [web] }
  subjects:
    "fake:U1": [admin]
    "console:operator": [admin]
jobs:
  hourly-check:
    cron: "0 * * * *"
    run: "health web"
    channel: fake:C0OPS
    notify: always
    role: checker
    alert: { severity: warning }
`;
}

describe('scheduled jobs in a bot', () => {
  let t: TestBot | undefined;
  let chat: RecordingGateway;
  let clock: ManualClock;

  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  async function start(): Promise<TestBot> {
    chat = new RecordingGateway('fake');
    clock = new ManualClock(Date.UTC(2026, 0, 5, 0, 30));
    t = await startTestBot({ yaml: await yaml(), http: false, extra: { chatGateways: [chat], clock } });
    return t;
  }

  it('given a failing hourly check with alert, when its tick comes, then it runs as system:job:hourly-check, posts the result and opens an alert group routed to the alert channel', async () => {
    const t = await start();
    clock.advance(30 * MIN);
    await t.bot.scheduler.idle();
    const entries = await t.bot.audit.list({ limit: 10, command: 'health' });
    expect(entries[0]).toMatchObject({ subject: 'system:job:hourly-check', surface: 'scheduler', outcome: 'failed' });
    await waitFor(() => chat.calls.some((c) => c.channel === 'C0OPS'), { what: 'the job result in C0OPS' });
    expect(chat.calls.find((c) => c.channel === 'C0OPS')?.reply.title).toMatch(/^Job hourly-check: /);
    const open = await waitFor(async () => (await t.bot.alerts.listOpen(10)).find((g) => g.commonLabels.job === 'hourly-check'), { what: 'the job alert group' });
    expect(open.commonLabels).toMatchObject({ alertname: 'OpsbotJobFailed', severity: 'warning', target: 'web' });
    await waitFor(() => chat.calls.some((c) => c.channel === 'alerts'), { what: 'the alert group message' });
  });

  it('given the jobs commands, when an operator lists, runs, reads history and pauses, then each answers through the router and the run posts its result', async () => {
    const t = await start();
    const list = await t.bot.router.handle({ subject: operator, surface: 'fake', line: 'jobs' });
    expect(list.outcome).toBe('ok');
    const rows = (list.reply.blocks[0] as { rows: string[][] }).rows;
    expect(rows[0]?.slice(0, 4)).toEqual(['hourly-check', '`0 * * * *` UTC', 'health web', '2026-01-05 01:00 UTC']);

    const ran = await t.bot.router.handle({ subject: operator, surface: 'fake', line: 'jobs run hourly-check' });
    expect(ran.outcome).toBe('ok');
    const runId = /run ([0-9a-f]{12})/.exec(ran.reply.title)?.[1];
    expect(runId).toBeDefined();
    await t.bot.scheduler.idle();
    await waitFor(() => chat.calls.some((c) => c.channel === 'C0OPS' && c.reply.footer?.includes(`run ${runId}`)), { what: 'the run result' });

    const history = await t.bot.router.handle({ subject: operator, surface: 'fake', line: 'jobs history hourly-check' });
    expect((history.reply.blocks[0] as { rows: string[][] }).rows[0]?.slice(0, 4)).toEqual([runId, '2026-01-05 00:30 UTC', 'run by fake:U1', 'failed']);

    const paused = await t.bot.router.handle({ subject: operator, surface: 'fake', line: 'jobs pause hourly-check' });
    expect(paused.reply.title).toBe('Job hourly-check paused');
    expect((await t.bot.audit.list({ limit: 5, command: 'jobs pause' }))[0]).toMatchObject({ subject: 'fake:U1', outcome: 'ok' });
    clock.advance(60 * MIN);
    await t.bot.scheduler.idle();
    expect((await t.bot.audit.list({ limit: 10, command: 'health' }))).toHaveLength(1);

    const unknown = await t.bot.router.handle({ subject: operator, surface: 'fake', line: 'jobs run nope' });
    expect(unknown.error).toMatchObject({ code: 'not_found' });
  });

  it('given a job whose run is no command, then start-up stops with the key path', async () => {
    const bad = (await yaml()).replace('run: "health web"', 'run: "helth web"');
    await expect(startTestBot({ yaml: bad, http: false })).rejects.toThrow(/jobs\.hourly-check\.run: "helth web" is not a command/);
  });

  it('given a job whose role may not run its command, then start-up stops and says so', async () => {
    const bad = (await yaml()).replace('allow: ["health"]', 'allow: ["checklist"]');
    await expect(startTestBot({ yaml: bad, http: false })).rejects.toThrow(/jobs\.hourly-check\.run: system:job:hourly-check may not run "health web"/);
  });
});

describe('jobs config', () => {
  const base = 'rbac: { roles: { admin: { allow: ["*"] } }, subjects: {} }\n';
  const parse = (jobs: string) => () => parseConfigText(`${base}jobs:\n${jobs}`, 'test.yaml', {});

  it('given a bad cron expression, a bad time zone, an unknown role or a job without rights, then each is named with its key path', () => {
    expect(parse('  a: { cron: "0 2 * *", run: "health", channel: fake:C1, role: admin }')).toThrow(/jobs\.a\.cron: Invalid cron expression "0 2 \* \*"/);
    expect(parse('  a: { cron: "0 2 * * *", timezone: Mars/Base, run: "health", channel: fake:C1, role: admin }')).toThrow(/jobs\.a\.timezone: Unknown time zone "Mars\/Base"/);
    expect(parse('  a: { cron: "0 2 * * *", run: "health", channel: fake:C1, role: nobody }')).toThrow(/jobs\.a\.role: Unknown role "nobody"/);
    expect(parse('  a: { cron: "0 2 * * *", run: "health", channel: fake:C1 }')).toThrow(/jobs\.a\.role: Job "a" has no rights/);
    expect(parse('  a: { cron: "0 2 * * *", run: "health", notify: always, role: admin }')).toThrow(/jobs\.a\.channel: notify: always needs a channel/);
  });

  it('given a job with a role, then its subject holds that role', () => {
    const config = parseConfigText(`${base}jobs:\n  a: { cron: "*/5 * * * *", run: "health", channel: fake:C1, role: admin }`, 'test.yaml', {});
    expect(config.rbac.subjects['system:job:a']).toEqual(['admin']);
    expect(config.jobs.a).toMatchObject({ timezone: 'UTC', notify: 'failure', catchUp: 'skip', timeout: 1_800_000 });
  });
});

describe('opsbot exec "jobs"', () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const dir = await tmpDir();
    cleanup = dir.cleanup;
    const configFile = path.join(dir.dir, 'opsbot.yaml');
    await writeFile(configFile, `${await yaml()}  nightly:\n    cron: "0 2 * * *"\n    timezone: Europe/Berlin\n    run: "health web"\n    channel: fake:C0OPS\n    role: admin\n`);
    env = { OPSBOT_DATA_DIR: path.join(dir.dir, 'data'), OPSBOT_CONFIG: configFile, LOG_LEVEL: 'warn' };
  });
  afterAll(async () => { await cleanup(); });

  it('given the config with jobs, when `opsbot exec "jobs"` runs, then it lists them with their next run in their time zone', async () => {
    const r = await runCli(['exec', 'jobs'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hourly-check');
    expect(r.stdout).toMatch(/nightly .*Europe\/Berlin/);
    expect(r.stdout).toMatch(/\d{4}-\d\d-\d\d 02:00 Europe\/Berlin/);
  }, 60_000);
});

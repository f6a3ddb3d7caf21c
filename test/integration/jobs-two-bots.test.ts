/**
 * A scheduled job in two real `opsbot start` processes on one data folder (embedded SQLite store,
 * store-backed coordination): an every-second job whose command appends a line to a file (its
 * target's pm2 is a script that does so on `pm2 jlist`). After some seconds, every scheduled
 * second was claimed once, and the command ran exactly as often as runs were recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SqliteStore } from '../../src/core/store/index.js';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { startBotProcess, type RunningBot } from '../support/process.js';

interface Run { _id: string; claim: string; job: string; slot?: Date; state: string }

describe('an every-second job in two bot processes on one data folder', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  let ticks: string;
  const bots: RunningBot[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir('opsbot-jobs-two-'));
    ticks = path.join(dir, 'ticks.log');
    // The job's command runs `pm2 jlist` on the target: this pm2 appends "<pid of the bot>" to the file and lists one app.
    const pm2 = path.join(dir, 'pm2');
    await writeFile(pm2, `#!/bin/sh\necho "$PPID $*" >> '${ticks}'\necho '[{"name":"app","pm_id":0,"pid":4242,"pm2_env":{"status":"online","pm_uptime":1767225600000,"restart_time":0}}]'\n`);
    await chmod(pm2, 0o755);
    const configFile = path.join(dir, 'opsbot.yaml');
    await writeFile(configFile, `
bot: { consoleUser: "console:tester", shutdownTimeout: 5s }
targets:
  app:
    environment: staging
    manager: { kind: pm2, name: app, pm2: ${pm2} }
rbac:
  roles:
    admin: { allow: ["*"] }
    ticker: { allow: [status], targets: [app] }
  subjects: { "console:tester": [admin] }
jobs:
  every-second:
    cron: "* * * * * *"
    run: "status app"
    channel: console:jobs
    notify: failure
    role: ticker
    timeout: 5s
`);
    env = { HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    for (const b of bots) await b.stop('SIGKILL');
    await cleanup?.();
  });

  it('given both bots ticking the same job for ~5 s, then each second was claimed once and the command ran once per recorded run', async () => {
    const ports = [await freePort(), await freePort()];
    for (const port of ports) bots.push(startBotProcess(['start'], { ...env, PORT: String(port) }));
    await Promise.all(ports.map((port, i) => waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: `bot ${i} healthz`, timeoutMs: 60_000 })));

    // When both tick together for about five seconds
    await new Promise((r) => setTimeout(r, 5500));
    expect(await Promise.all(bots.map((b) => b.stop('SIGTERM')))).toEqual([0, 0]);

    // Then every scheduled second has one run record (the unique claim), and most seconds ran
    const store = await SqliteStore.open(env.OPSBOT_DATA_DIR as string);
    const runs = await store.collection<Run>('job_runs').find({ job: 'every-second' });
    await store.close();
    const scheduled = runs.filter((r) => r.slot);
    const slots = scheduled.map((r) => new Date(r.slot as Date).toISOString());
    expect(new Set(slots).size).toBe(slots.length);
    expect(new Set(runs.map((r) => r.claim)).size).toBe(runs.length);
    const ran = runs.filter((r) => ['ok', 'failed', 'timeout'].includes(r.state));
    expect(ran.length).toBeGreaterThanOrEqual(3);
    expect(ran.every((r) => r.state === 'ok')).toBe(true);

    // And the command ran exactly once per run that ran (no second process ran a claimed second)
    const lines = (await readFile(ticks, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(ran.length);
    expect(lines.every((l) => / jlist$/.test(l))).toBe(true);
    const pids = new Set(bots.map((b) => String(b.child.pid)));
    expect(lines.every((l) => pids.has(l.split(' ')[0] as string))).toBe(true);
  }, 120_000);
});

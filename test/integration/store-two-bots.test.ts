/**
 * The user's path on one host: two `opsbot start` processes on one OPSBOT_DATA_DIR (embedded
 * SQLite store, store-backed coordination) share an Alertmanager webhook load while `opsbot exec`
 * runs commands on the same folder; one bot is killed with SIGKILL mid-load and started again.
 * Nothing accepted is lost: every group, every audit entry.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SqliteStore } from '../../src/core/store/index.js';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';
import { hosts, payload } from '../support/alert-payloads.js';

const CONFIG = `
bot: { consoleUser: "console:tester", shutdownTimeout: 5s }
targets: {}
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin] }
`;

const WEBHOOK_TOKEN = 'two-bots-webhook-token';
const name = (i: number) => `Shared${String(i).padStart(3, '0')}`;

describe('two bot processes and opsbot exec on one data folder, with a kill -9', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  const bots: Record<'a' | 'b', { bot?: RunningBot; port: number }> = { a: { port: 0 }, b: { port: 0 } };

  const start = async (which: 'a' | 'b') => {
    const slot = bots[which];
    slot.bot = startBotProcess(['start'], { ...env, PORT: String(slot.port), LOG_LEVEL: 'warn' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${slot.port}/healthz`).catch(() => undefined))?.ok, { what: `bot ${which} healthz`, timeoutMs: 60_000 });
  };
  const post = async (which: 'a' | 'b', i: number): Promise<number> => {
    const body = JSON.stringify(payload({ alertname: name(i), alerts: hosts(2) }));
    const res = await fetch(`http://127.0.0.1:${bots[which].port}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` }, body }).catch(() => undefined);
    return res?.status ?? 0;
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir());
    const configFile = path.join(dir, 'opsbot.yaml');
    await writeFile(configFile, CONFIG);
    env = { HOST: '127.0.0.1', WEBHOOK_TOKEN, OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile };
    bots.a.port = await freePort();
    bots.b.port = await freePort();
    await Promise.all([start('a'), start('b')]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(Object.values(bots).map((s) => s.bot?.stop('SIGKILL')));
    await cleanup();
  });

  it('given shared webhook load and exec writes, when one bot is killed and restarted, then every accepted group and every audit entry is there', async () => {
    const accepted = new Set<string>();
    const send = async (which: 'a' | 'b', i: number) => { if ((await post(which, i)) === 200) accepted.add(name(i)); };

    // When webhooks alternate between the two bots while `opsbot exec` writes audit entries…
    const execs: Promise<{ code: number; stdout: string; stderr: string }>[] = [];
    for (let batch = 0; batch < 60; batch += 10) {
      if (batch % 20 === 0) execs.push(runCli(['exec', 'audit --limit 3'], env));
      await Promise.all(Array.from({ length: 10 }, (_, k) => send((batch + k) % 2 ? 'a' : 'b', batch + k)));
    }
    // …bot a is killed with SIGKILL in the middle of the load, which goes on at bot b…
    const killed = bots.a.bot?.stop('SIGKILL');
    const during = Array.from({ length: 30 }, (_, k) => send('b', 60 + k));
    execs.push(runCli(['exec', 'audit --limit 1'], env));
    await Promise.all([killed, ...during]);
    // …and bot a is started again and gets its share
    await start('a');
    await Promise.all(Array.from({ length: 30 }, (_, k) => send(k % 2 ? 'a' : 'b', 90 + k)));
    const results = await Promise.all(execs);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(accepted.size).toBe(120);

    // Then every accepted group is in the store (the inbox is applied by whichever bot holds it)…
    const groupNames = async () => {
      const store = await SqliteStore.open(env.OPSBOT_DATA_DIR as string);
      try {
        const groups = await store.collection<{ _id: string; labels?: Record<string, string>; groupLabels?: Record<string, string> }>('alert_groups').find({});
        return new Set(groups.map((g) => (g.groupLabels ?? g.labels)?.alertname));
      } finally {
        await store.close();
      }
    };
    let names = new Set<string | undefined>();
    await waitFor(async () => { names = await groupNames(); return [...accepted].every((n) => names.has(n)); }, { timeoutMs: 120_000, intervalMs: 500, what: 'every accepted group applied' })
      .catch((e: Error) => { throw new Error(`${e.message}: missing ${[...accepted].filter((n) => !names.has(n)).join(', ')}`); });

    // …`opsbot exec alerts` on the same folder shows them…
    const alerts = await runCli(['exec', 'alerts'], env);
    expect(alerts.code).toBe(0);
    expect(alerts.stdout).toMatch(/Shared\d{3}/);

    // …and every exec left its audit entry, next to the bots' own
    const store = await SqliteStore.open(env.OPSBOT_DATA_DIR as string);
    const audit = await store.collection<{ _id: string; surface: string; command: string }>('audit').find({ surface: 'cli' });
    await store.close();
    expect(audit.map((a) => a.command).sort()).toEqual(['alerts', 'audit', 'audit', 'audit', 'audit']);
  }, 240_000);
});

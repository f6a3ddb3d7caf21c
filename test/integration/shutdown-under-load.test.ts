/**
 * SIGTERM while webhooks and slash commands stream in, to a real `opsbot start` (Slack in HTTP
 * mode against the protocol stand-in, the embedded store): exit 0, promptly, and every webhook
 * the bot answered `accepted` is in the store afterwards.
 *
 * The case that once exited 1: a request in flight when the server starts closing, answered
 * keep-alive, on a socket its client then holds idle (Alertmanager and undici pool their
 * connections). The server waited for the keep-alive timeout and the shutdown deadline ran out.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { startBotProcess, type RunningBot } from '../support/process.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { freePort, tmpDir, waitFor } from '../support/servers.js';

const TOKEN = 'shutdown-test-token-0123456789';
const CONFIG = `
bot:
  shutdownTimeout: 5s
alerting:
  defaultChannel: slack:C0LOAD
  rate: { messages: 100, per: 1s }
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    slack:U0LOAD: [admin]
`;

const body = (name: string, n: number) => JSON.stringify(payload({ alertname: name, alerts: hosts(1 + (n % 3)) }));

describe('SIGTERM under load (a real opsbot start)', () => {
  let slack: SlackStandIn;
  let dir: string;
  let cleanup: () => Promise<void>;
  let bot: RunningBot;
  let port: number;
  // Keep-alive sockets, pooled, as Alertmanager's client holds them.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  function post(data: string, slowHalf?: Promise<void>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/webhooks/alertmanager', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${TOKEN}` } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      if (!slowHalf) {
        req.end(data);
        return;
      }
      // A slow sender: half the body now, the rest when told.
      const half = Math.floor(data.length / 2);
      req.write(data.slice(0, half));
      void slowHalf.then(() => req.end(data.slice(half)));
    });
  }

  beforeAll(async () => {
    slack = await startSlackStandIn();
    ({ dir, cleanup } = await tmpDir('opsbot-shutdown-'));
    const configFile = path.join(dir, 'opsbot.yaml');
    await writeFile(configFile, CONFIG);
    port = await freePort();
    bot = startBotProcess(['start'], { ...slackEnv(slack), PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, WEBHOOK_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
    await waitFor(async () => {
      if (bot.child.exitCode !== null) throw new Error(`bot exited ${bot.child.exitCode}: ${bot.stderr()}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'readyz 200' });
  }, 90_000);

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    agent.destroy();
    await slack?.close();
    await cleanup?.();
  });

  it('given webhooks and slash commands streaming in and a request in flight, when SIGTERM arrives, then it exits 0 within the deadline and every accepted webhook is stored', async () => {
    // Given webhooks on pooled keep-alive connections and signed slash commands, streaming
    const accepted = new Set<string>();
    let sending = true;
    let n = 0;
    const streams = Array.from({ length: 6 }, async () => {
      while (sending) {
        const name = `Load${n++}`;
        const res = await post(body(name, n)).catch(() => undefined);
        if (res?.status === 200 && JSON.parse(res.body).status === 'accepted') accepted.add(name);
      }
    });
    const commands = (async () => {
      while (sending) await slack.sendSlashCommand(`http://127.0.0.1:${port}`, { text: 'alerts', userId: 'U0LOAD', channelId: 'C0LOAD' }).catch(() => undefined);
    })();
    await waitFor(() => accepted.size >= 200, { timeoutMs: 30_000, what: '200 webhooks accepted' });
    // And one more webhook from a slow sender, in flight when the signal comes
    let sendRest: () => void = () => undefined;
    const rest = new Promise<void>((r) => { sendRest = r; });
    const slow = post(body('LoadSlowSender', 0), rest);
    await new Promise((r) => setTimeout(r, 100));

    // When SIGTERM arrives, and the clients then leave their sockets idle
    const signalled = Date.now();
    const exited = bot.stop('SIGTERM');
    sending = false;
    await new Promise((r) => setTimeout(r, 300));
    sendRest();
    const slowAnswer = await slow;
    const code = await exited;
    const took = Date.now() - signalled;
    await Promise.all([...streams, commands]);

    // Then it exits 0, well before the shutdown deadline (5 s + 5 s of grace would force exit 1)
    expect({ code, stderr: code === 0 ? '' : bot.stderr().slice(-3000) }).toEqual({ code: 0, stderr: '' });
    expect(took).toBeLessThan(5_000);
    // And the request in flight was answered, and accepted
    expect(slowAnswer.status).toBe(200);
    expect(JSON.parse(slowAnswer.body).status).toBe('accepted');
    accepted.add('LoadSlowSender');
    // And every webhook it accepted is a group in the store
    const store = await EmbeddedStore.open(path.join(dir, 'data'));
    try {
      // Applied (a group) or still in the durable inbox, applied at the next start
      const groups = await store.collection<{ _id: string; groupKey: string }>('alert_groups').find({});
      const inbox = await store.collection<{ _id: string; entries: { json: string }[] }>('alert_inbox').find({});
      const keys = [...groups.map((d) => d.groupKey), ...inbox.flatMap((d) => d.entries.map((e) => (JSON.parse(e.json) as { groupKey: string }).groupKey))];
      const stored = new Set(keys.map((k) => /alertname="([^"]+)"/.exec(k)?.[1]));
      expect([...accepted].filter((a) => !stored.has(a))).toEqual([]);
      expect(accepted.size).toBeGreaterThan(200);
    } finally {
      await store.close();
    }
  }, 90_000);
});

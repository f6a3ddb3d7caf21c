/**
 * Discord slash command → first interaction response, on loopback through the real discord.js
 * client and the whole bot (router, RBAC, audit in the embedded store, renderer), against the
 * stand-in of test/support/discord.ts. Baseline in the same run: a bare `ws` client on the same
 * stand-in that answers each INTERACTION_CREATE with a fixed callback at once (transport cost).
 *
 *   npx tsx bench/discord-ack.ts [iterations=300]
 */
import { WebSocket } from 'ws';
import { DiscordStandIn, type TestMember } from '../test/support/discord.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../src/config/load.js';
import { envSchema } from '../src/config/env.js';
import { createBot } from '../src/main.js';
import { createLogger } from '../src/core/logger.js';
import { Redactor } from '../src/core/redact.js';
import { summary } from './summary.js';

const N = Number(process.argv[2] ?? 300);
const TOKEN = 'bench-token';
const member: TestMember = { id: '1', username: 'bench', roles: ['9'] };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function measure(discord: DiscordStandIn, path: string[], n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const stop = discord.watch((r) => {
        if (r.method === 'POST' && r.path.endsWith('/callback')) { stop(); resolve(); }
      });
    });
    discord.slashCommand(member, path);
    await done;
    times.push(performance.now() - started);
  }
  return times;
}

async function bareClient(discord: DiscordStandIn): Promise<WebSocket> {
  const ws = new WebSocket(`${discord.gatewayUrl}?v=10&encoding=json`);
  await new Promise<void>((resolve) => {
    ws.on('message', (raw) => {
      const p = JSON.parse(String(raw)) as { op: number; t?: string; d: { id: string; token: string } };
      if (p.op === 10) ws.send(JSON.stringify({ op: 2, d: { token: TOKEN, intents: 1, properties: {} } }));
      if (p.t === 'READY') resolve();
      if (p.t === 'INTERACTION_CREATE') {
        void fetch(`${discord.apiUrl}/v10/interactions/${p.d.id}/${p.d.token}/callback`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 4, data: { content: 'ok' } }),
        });
      }
    });
  });
  return ws;
}

const discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 30_000 });
const bare = await bareClient(discord);
await measure(discord, ['help'], 20);
const baseline = await measure(discord, ['help'], N);
bare.close();
await new Promise((r) => setTimeout(r, 200));

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-'));
const rawEnv = { LOG_LEVEL: 'silent', OPSBOT_DATA_DIR: dataDir, DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl };
const env = envSchema.parse(rawEnv);
const config = parseConfigText('targets: {}\nrbac:\n  roles:\n    viewer: { allow: ["*"] }\n  subjects:\n    "discord:role:9": [viewer]\n', 'bench.yaml', rawEnv);
const bot = await createBot({ config, env, rawEnv, http: false, console: false, log: createLogger({ level: 'silent', redactor: new Redactor(), pretty: false }) });
await bot.start();
while (!discord.connected) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 200));
await measure(discord, ['help'], 20);
const help = await measure(discord, ['help'], N);
const audit = await measure(discord, ['audit'], N);

const row = (name: string, xs: number[]) => `${name.padEnd(44)} ${String(xs.length).padStart(5)} ${pct(xs, 50).toFixed(2).padStart(8)} ${pct(xs, 99).toFixed(2).padStart(8)} ${Math.max(...xs).toFixed(2).padStart(8)}`;
console.log(`Discord interaction → first response, loopback, ${N} sequential interactions (ms)`);
console.log(`${'case'.padEnd(44)} ${'n'.padStart(5)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`);
console.log(row('baseline: bare ws client, fixed callback', baseline));
console.log(row('opsbot + discord.js: /ops help', help));
console.log(row('opsbot + discord.js: /ops audit (store read)', audit));
summary('discord-ack.ts', 'slash command → first interaction response', `p50 ${pct(help, 50).toFixed(1)} ms / p99 ${pct(help, 99).toFixed(0)} ms (bare ws client: ${pct(baseline, 50).toFixed(1)} / ${pct(baseline, 99).toFixed(1)} ms)`);
await bot.stop();
await rm(dataDir, { recursive: true, force: true });
await discord.close();
process.exit(0);

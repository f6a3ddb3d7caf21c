/**
 * Alertmanager webhook ingest, three servers side by side in one run, each its own process:
 *  - bare: a node:http server that only reads the body (bench/peers/bare-http.ts);
 *  - hubot: Hubot 14 with a relay script on its express router and a null adapter (bench/peers/hubot-relay.ts);
 *  - opsbot: the real `opsbot start` (token, validation, de-duplication, durable SQLite inbox),
 *    chat through the Slack protocol stand-in.
 * Varied payloads from test/support/alert-payloads.ts (2,000 group keys, every body different, never
 * repeated across servers or rounds), 50 keep-alive connections, three alternating rounds.
 * Usage: node --import tsx bench/ingest-peers.ts [--requests 10000] [--connections 50] [--rounds 3]
 */
import http from 'node:http';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, tmpDir, waitFor } from '../test/support/host.js';
import { slackEnv, startSlackStandIn } from '../test/support/slack.js';
import { hosts, payload } from '../test/support/alert-payloads.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const REQUESTS = arg('requests', 10_000);
const CONNECTIONS = arg('connections', 50);
const ROUNDS = arg('rounds', 3);
const GROUP_KEYS = 2000;
const TOKEN = 'peers-bench-token-0123456789';

interface Peer { name: string; port: number; child: ChildProcess; rates: number[]; non200: number }

function spawnPeer(script: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  return child;
}

let salt = 0;
/** `n` different bodies over GROUP_KEYS groups; `salt` keeps every body of the run unique. */
function bodies(n: number): string[] {
  const s = ++salt;
  return Array.from({ length: n }, (_, i) => JSON.stringify(payload({
    alertname: `Peer${i % GROUP_KEYS}`,
    commonLabels: { bench: 'peers', team: `t${i % 7}` },
    alerts: hosts(1 + (i % 4), { annotations: { summary: `run ${s} request ${i}` }, startsAt: new Date(Date.UTC(2026, 0, 1) + s * 86_400_000 + i * 1000).toISOString() }),
  })));
}

async function blast(port: number, list: string[]): Promise<{ rate: number; non200: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const send = (body: string) => new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/webhooks/alertmanager', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
  let next = 0;
  let non200 = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < list.length) if ((await send(list[next++] as string)) !== 200) non200++;
  }));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { rate: list.length / seconds, non200 };
}

async function ready(url: string, child: ChildProcess, init?: RequestInit): Promise<void> {
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`${url}: process exited ${child.exitCode}`);
    const r = await fetch(url, init).catch(() => undefined);
    return r !== undefined && r.status < 500;
  }, { timeoutMs: 60_000, intervalMs: 200, what: url });
}

async function main(): Promise<void> {
  const slack = await startSlackStandIn();
  const { dir, cleanup } = await tmpDir('opsbot-peers-');
  const configFile = path.join(dir, 'peers.yaml');
  await writeFile(configFile, 'alerting:\n  defaultChannel: slack:C0BENCH\n');
  const [bp, hp, op] = [await freePort(), await freePort(), await freePort()] as [number, number, number];
  const peers: Peer[] = [
    { name: 'bare node:http', port: bp, child: spawnPeer(['bench/peers/bare-http.ts'], { PORT: String(bp) }), rates: [], non200: 0 },
    { name: 'Hubot 14 relay', port: hp, child: spawnPeer(['bench/peers/hubot-relay.ts'], { EXPRESS_PORT: String(hp), EXPRESS_BIND_ADDRESS: '127.0.0.1', EXPRESS_LIMIT: '1mb', WEBHOOK_TOKEN: TOKEN, HUBOT_LOG_LEVEL: 'error' }), rates: [], non200: 0 },
    { name: 'opsbot', port: op, child: spawnPeer(['src/cli.ts', 'start'], { ...slackEnv(slack), PORT: String(op), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, WEBHOOK_TOKEN: TOKEN, LOG_LEVEL: 'warn' }), rates: [], non200: 0 },
  ];
  await ready(`http://127.0.0.1:${bp}/`, peers[0]!.child, { method: 'POST', body: '{}' });
  await ready(`http://127.0.0.1:${hp}/relayed`, peers[1]!.child, { method: 'POST' });
  await ready(`http://127.0.0.1:${op}/readyz`, peers[2]!.child);
  console.log(`ingest peers: ${REQUESTS} requests per server per round, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds, ${GROUP_KEYS} group keys`);
  for (const p of peers) await blast(p.port, bodies(500)); // warm-up (JIT, connections, SQLite pages)

  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? peers : [...peers].reverse();
    for (const p of order) {
      const list = bodies(REQUESTS);
      const r = await blast(p.port, list);
      p.rates.push(r.rate);
      p.non200 += r.non200;
      console.log(`round ${round} ${p.name}: ${r.rate.toFixed(0)} req/s${r.non200 ? ` (${r.non200} not 200)` : ''}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  const relayed = (await (await fetch(`http://127.0.0.1:${hp}/relayed`, { method: 'POST' })).json()) as { relayed: number };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const bare = median(peers[0]!.rates);
  console.log('\n| server | round rates (req/s) | median req/s | × bare | non-200 |\n|---|---|---|---|---|');
  for (const p of peers) console.log(`| ${p.name} | ${p.rates.map((r) => r.toFixed(0)).join(', ')} | ${median(p.rates).toFixed(0)} | ${(median(p.rates) / bare).toFixed(2)}× | ${p.non200} |`);
  console.log(`\nHubot relayed ${relayed.relayed} messages to its null adapter.`);
  for (const p of peers) p.child.kill('SIGTERM');
  await Promise.all(peers.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
  await slack.close();
  await cleanup();
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});

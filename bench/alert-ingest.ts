/**
 * Alertmanager webhook ingest, measured on loopback in one run:
 *  1. ingest rate: the same 10,000 webhook bodies posted (keep-alive, fixed concurrency) to a bare
 *     Node HTTP server that only reads the body, and to opsbot's /webhooks/alertmanager with
 *     validation, de-duplication and persistence on (embedded store in a temp data dir);
 *  2. latency from sending a webhook to the first chat API call for its group (p50/p99), one
 *     webhook at a time on a quiet bot, and at a steady 100 webhooks/s (each a new group);
 *  3. resident memory with 10,000 open alert groups;
 *  4. an alert storm: 10,000 alerts in 1,000 groups to one channel at Slack's rate (1 call/s):
 *     how long until every group is named in chat, and the most calls in any 1 s.
 * Usage: npx tsx bench/alert-ingest.ts [--groups 10000] [--concurrency 32] [--latency 300] [--paced-rate 100] [--paced-seconds 3] [--storm-groups 1000]
 */
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseConfigText } from '../src/config/load.js';
import { envSchema } from '../src/config/env.js';
import { createBot } from '../src/main.js';
import { createLogger } from '../src/core/logger.js';
import { Redactor } from '../src/core/redact.js';
import type { ChatGateway, MessageRef } from '../src/core/chat.js';
import type { Reply } from '../src/core/reply.js';
import { hosts, payload } from '../test/support/alert-payloads.js';
import { summary, table } from './summary.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const GROUPS = arg('groups', 10_000);
const CONCURRENCY = arg('concurrency', 32);
const LATENCY_SAMPLES = arg('latency', 300);
const STORM_GROUPS = arg('storm-groups', 1000);
const PACED_RATE = arg('paced-rate', 100);
const PACED_SECONDS = arg('paced-seconds', 3);

/** A chat gateway that notes when the first call for each alert group arrives. */
class TimingGateway implements ChatGateway {
  readonly name = 'bench';
  readonly firstCall = new Map<string, number>();
  readonly callTimes: number[] = [];
  /** Latest content of every message. */
  readonly messages = new Map<string, Reply>();
  calls = 0;
  private seq = 0;
  private note(reply: Reply): void {
    this.calls++;
    this.callTimes.push(performance.now());
    const m = /\] (\S+)$/.exec(reply.title);
    if (m && !this.firstCall.has(m[1] as string)) this.firstCall.set(m[1] as string, performance.now());
  }
  async post(channel: string, reply: Reply): Promise<MessageRef> {
    this.note(reply);
    const id = String(++this.seq);
    this.messages.set(id, reply);
    return { surface: this.name, channel, id };
  }
  async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.note(reply);
    this.messages.set(ref.id, reply);
  }
  /** Alert names shown in the latest content of any message (own messages and digest rows). */
  named(): Set<string> {
    const out = new Set<string>();
    for (const r of this.messages.values()) {
      const m = /\] (\S+)$/.exec(r.title);
      if (m) out.add(m[1] as string);
      for (const b of r.blocks) if (b.type === 'table' && b.columns[1] === 'Alert') for (const row of b.rows) out.add(row[1] as string);
    }
    return out;
  }
  async directMessage(user: string): Promise<MessageRef> {
    return { surface: this.name, channel: user, id: String(++this.seq) };
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function post(port: number, body: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/webhooks/alertmanager', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function blast(port: number, bodies: string[], token?: string): Promise<{ seconds: number; ok: number }> {
  let next = 0;
  let ok = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const status = await post(port, bodies[next++] as string, token);
      if (status === 200) ok++;
    }
  }));
  return { seconds: (performance.now() - started) / 1000, ok };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const bodies = Array.from({ length: GROUPS }, (_, i) => JSON.stringify(payload({ alertname: `Bench${i}`, alerts: hosts(3), commonLabels: { bench: 'ingest' } })));
  const avgBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length);

  // 1a. Baseline: a bare Node HTTP server that reads the body and answers 200.
  const bare = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as AddressInfo).port;
  await blast(barePort, bodies.slice(0, 500));

  // 1b. opsbot: the real bot (embedded store with persistence, token, validation, de-duplication).
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-'));
  const token = 'bench-token-0123456789';
  const rawEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OPSBOT_DATA_DIR: dataDir, WEBHOOK_TOKEN: token };
  const env = envSchema.parse(rawEnv);
  const config = parseConfigText(`
alerting:
  defaultChannel: bench:storm
  rate: { messages: 1000, per: 1s }
  storm: { threshold: 1000, window: 1m }
  routes:
    - matchers: ['bench="latency"']
      channels: [bench:latency]
`, 'bench.yaml', rawEnv);
  const chat = new TimingGateway();
  const bot = await createBot({ config, env, rawEnv, console: false, chatGateways: [chat], log: createLogger({ level: 'silent', redactor: new Redactor(), pretty: false }) });
  const { port } = await bot.start();
  gc();
  const rssStart = process.memoryUsage().rss;

  // 2. Latency first, on a quiet bot: one webhook at a time, send → first chat call.
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const name = `Lat${i}`;
    const body = JSON.stringify(payload({ alertname: name, alerts: hosts(2), commonLabels: { bench: 'latency' } }));
    const sent = performance.now();
    await post(port, body, token);
    while (!chat.firstCall.has(name)) await new Promise((r) => setImmediate(r));
    latencies.push((chat.firstCall.get(name) as number) - sent);
    await new Promise((r) => setTimeout(r, 5));
  }
  latencies.sort((a, b) => a - b);

  // 2b. The same at a steady PACED_RATE webhooks/s, each sent on schedule whether or not the previous one was answered.
  const paced: number[] = [];
  const pacedAnswered: number[] = [];
  const pacedStart = performance.now();
  await Promise.all(Array.from({ length: PACED_RATE * PACED_SECONDS }, async (_, i) => {
    const due = pacedStart + (i * 1000) / PACED_RATE;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const name = `Paced${i}`;
    const body = JSON.stringify(payload({ alertname: name, alerts: hosts(2), commonLabels: { bench: 'latency' } }));
    const sent = performance.now();
    await post(port, body, token);
    pacedAnswered.push(performance.now() - sent);
    while (!chat.firstCall.has(name)) await new Promise((r) => setTimeout(r, 1));
    paced.push((chat.firstCall.get(name) as number) - sent);
  }));
  const pacedRate = paced.length / ((performance.now() - pacedStart) / 1000);
  paced.sort((a, b) => a - b);
  pacedAnswered.sort((a, b) => a - b);

  // 1b continued: the ingest rate with 10,000 new groups. The two servers take turns (ROUNDS slices)
  // so that a change in the machine's load hits both alike.
  const ROUNDS = 5;
  const bareRun = { seconds: 0, ok: 0 };
  const botRun = { seconds: 0, ok: 0 };
  const slice = Math.ceil(bodies.length / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    const part = bodies.slice(r * slice, (r + 1) * slice);
    const b = await blast(barePort, part);
    const o = await blast(port, part, token);
    bareRun.seconds += b.seconds; bareRun.ok += b.ok;
    botRun.seconds += o.seconds; botRun.ok += o.ok;
  }
  bare.close();
  const dupRun = await blast(port, bodies.slice(0, 2000), token);
  const processStart = performance.now();
  await bot.alerts.settled();
  const processSeconds = (performance.now() - processStart) / 1000;
  const open = await bot.alerts.countOpen();
  gc();
  const rssOpen = process.memoryUsage().rss;
  const heapOpen = process.memoryUsage().heapUsed;

  const rows: string[][] = [
    ['bare node:http (read body, 200)', String(bareRun.ok), bareRun.seconds.toFixed(2), (bareRun.ok / bareRun.seconds).toFixed(0), '1.00'],
    ['opsbot POST /webhooks/alertmanager', String(botRun.ok), botRun.seconds.toFixed(2), (botRun.ok / botRun.seconds).toFixed(0), ((botRun.ok / botRun.seconds) / (bareRun.ok / bareRun.seconds)).toFixed(2)],
    ['opsbot, duplicates only', String(dupRun.ok), dupRun.seconds.toFixed(2), (dupRun.ok / dupRun.seconds).toFixed(0), ((dupRun.ok / dupRun.seconds) / (bareRun.ok / bareRun.seconds)).toFixed(2)],
  ];
  process.stdout.write(`\nAlertmanager webhook ingest — ${GROUPS} webhooks (3 alerts, ~${avgBytes} bytes each), concurrency ${CONCURRENCY}, loopback, ${os.cpus().length} CPUs, Node ${process.version}\n\n`);
  process.stdout.write(`${table(['server', 'ok', 'seconds', 'req/s', 'vs bare'], rows)}\n`);
  process.stdout.write(`\nprocessing after accept: ${GROUPS} notifications applied in ${processSeconds.toFixed(2)}s after the last answer (${open} open groups)\n`);
  process.stdout.write(`\nwebhook sent → first chat API call (goal p99 < 50 ms at 100 webhooks/s):\n`);
  const latencyRow = (l: number[]) => [pct(l, 50).toFixed(1), pct(l, 90).toFixed(1), pct(l, 99).toFixed(1), (l.at(-1) as number).toFixed(1)];
  process.stdout.write(`${table(['webhooks', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], [
    [`${LATENCY_SAMPLES}, one at a time`, ...latencyRow(latencies)],
    [`${paced.length} at ${PACED_RATE}/s (measured ${pacedRate.toFixed(0)}/s)`, ...latencyRow(paced)],
    [`  of which: the webhook answered (200)`, ...latencyRow(pacedAnswered)],
  ])}\n`);
  process.stdout.write(`\nresident memory: ${mib(rssStart)} after start → ${mib(rssOpen)} with ${open} open alert groups (heap used ${mib(heapOpen)})${(globalThis as { gc?: unknown }).gc ? '' : ' [run with --expose-gc for settled numbers]'}\n`);

  await bot.stop();
  await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });

  // 4. Alert storm at Slack's per-channel rate.
  const stormDir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-storm-'));
  const stormEnv = envSchema.parse({ ...rawEnv, OPSBOT_DATA_DIR: stormDir });
  const stormConfig = parseConfigText('alerting:\n  defaultChannel: bench:storm\n  rate: { messages: 1, per: 1s }\n', 'storm.yaml', rawEnv);
  const stormChat = new TimingGateway();
  const stormBot = await createBot({ config: stormConfig, env: stormEnv, rawEnv, console: false, chatGateways: [stormChat], log: createLogger({ level: 'silent', redactor: new Redactor(), pretty: false }) });
  const stormPort = (await stormBot.start()).port;
  const stormBodies = Array.from({ length: STORM_GROUPS }, (_, i) => JSON.stringify(payload({ alertname: `Storm${i}`, alerts: hosts(10) })));
  const stormStart = performance.now();
  const stormRun = await blast(stormPort, stormBodies, token);
  const names = stormBodies.map((_, i) => `Storm${i}`);
  while (!names.every((n) => stormChat.named().has(n))) {
    if (performance.now() - stormStart > 5 * 60_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const accountedSeconds = (performance.now() - stormStart) / 1000;
  const accounted = names.filter((n) => stormChat.named().has(n)).length;
  let maxPerSecond = 0;
  const times = stormChat.callTimes;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) > 990) j++; // 10 ms for timer granularity
    maxPerSecond = Math.max(maxPerSecond, i - j + 1);
  }
  process.stdout.write(`\nalert storm: ${STORM_GROUPS * 10} alerts in ${STORM_GROUPS} groups to one channel at 1 call/s (storm threshold 10/min, 40 groups per digest):\n`);
  process.stdout.write(`${table(['accepted', 'groups named in chat', 'seconds until all named', 'chat calls', 'max calls in any 1 s'], [[String(stormRun.ok), `${accounted}/${STORM_GROUPS}`, accountedSeconds.toFixed(1), String(stormChat.calls), String(maxPerSecond)]])}\n`);
  const ratio = (botRun.ok / botRun.seconds) / (bareRun.ok / bareRun.seconds);
  summary('alert-ingest.ts', 'in one process: webhooks/s vs a bare server; webhook → first chat call; RSS with 10,000 groups; storm',
    `${(botRun.ok / botRun.seconds).toFixed(0)}/s = ${ratio.toFixed(2)}× bare; applied ${processSeconds.toFixed(1)} s after; first chat call p50 ${pct(latencies, 50).toFixed(1)} / p99 ${pct(latencies, 99).toFixed(1)} ms one at a time, p50 ${pct(paced, 50).toFixed(1)} / p99 ${pct(paced, 99).toFixed(1)} ms at ${PACED_RATE}/s; ${mib(rssOpen)}; ${accounted} groups named in ${accountedSeconds.toFixed(0)} s at 1 msg/s, max ${maxPerSecond} call(s) in any 1 s`);
  await stormBot.stop();
  await rm(stormDir, { recursive: true, force: true, maxRetries: 5 });
  agent.destroy();
}

await main();

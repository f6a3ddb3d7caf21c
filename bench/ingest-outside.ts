/**
 * Alertmanager ingest measured from outside, as an operator sees it: a real `opsbot start`
 * process (the built `dist/cli.js`, Slack in HTTP mode against a stand-in Web API, the embedded
 * SQLite store) and a bare node:http server that only reads the body, each its own process, fed
 * by this one over loopback in alternating rounds (a change in the machine's load hits both).
 * Then: how long after the last answer until every accepted group is applied (read from the
 * bot's SQLite file by a second connection), and the bot's resident memory (VmRSS and VmHWM in
 * /proc/<pid>/status) after start and with every group open.
 * Usage: npx tsx bench/ingest-outside.ts [--groups 10000] [--concurrency 32] [--rounds 3] [--intake-only]
 * (--intake-only: this process holds the bot's inbox lock during the load, as another replica
 * would, so the bot only answers webhooks; it applies them all once the lock is released)
 * (builds dist/ first when it is older than src/; BENCH_NODE_OPTIONS becomes the bot's NODE_OPTIONS, e.g. --import of a memory logger; BENCH_NODE_ARGS are node's arguments for the bot, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof; BENCH_MARK_ROUNDS=1 prints when each of the bot's rounds ran on the monotonic clock, to cut its profile to them; BENCH_SETTLE_MS: how long memory is watched after that, default 45000).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { hosts, payload } from '../test/support/alert-payloads.js';
import { slackEnv, startSlackStandIn } from '../test/support/slack.js';
import { freePort, waitFor } from '../test/support/host.js';
import { cpuOf, ensureBuilt, stopProcesses } from './built.js';
import { summary, table } from './summary.js';
import { SqliteStore } from '../src/core/store/sqlite/store.js';
import { StoreCoordination } from '../src/core/coordination/store.js';
import { INBOX_LOCK } from '../src/core/alerts/processor.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const GROUPS = arg('groups', 10_000);
const CONCURRENCY = arg('concurrency', 32);
const ROUNDS = arg('rounds', 3);
/** Intake alone: this process holds the bot's inbox lock during the load (as another replica would), so nothing is applied until it ends. */
const INTAKE_ONLY = process.argv.includes('--intake-only');
const TOKEN = 'bench-token-0123456789abcdef';

/** VmRSS and VmHWM of a process, in MiB. */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/webhooks/alertmanager', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function blast(port: number, bodies: string[]): Promise<{ seconds: number; ok: number }> {
  let next = 0;
  let ok = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) if ((await post(port, bodies[next++] as string)) === 200) ok++;
  }));
  return { seconds: (performance.now() - started) / 1000, ok };
}

const BARE = `const http = require('node:http');
http.createServer((req, res) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => { Buffer.concat(c); res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}'); }); })
  .listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));`;

async function main(): Promise<void> {
  ensureBuilt(root);
  const slack = await startSlackStandIn();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-outside-'));
  const configFile = path.join(dir, 'opsbot.yaml');
  await writeFile(configFile, `alerting:
  defaultChannel: slack:CBENCH
  rate: { messages: 1000, per: 1s }
  storm: { threshold: 1000, window: 1m }
`);
  const port = await freePort();
  const bot = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'dist', 'cli.js'), 'start', '--config', configFile], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', OPSBOT_DATA_DIR: path.join(dir, 'data'), WEBHOOK_TOKEN: TOKEN, ...slackEnv(slack), ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  bot.stderr?.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); if (process.env.BENCH_SHOW_STDERR) process.stderr.write(d); });
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['-e', BARE, String(barePort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) || undefined, { timeoutMs: 60_000, what: `opsbot start on port ${port}: ${stderr}` });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${barePort}/`, { method: 'POST', body: '{}' }).then((r) => r.ok, () => false)) || undefined, { timeoutMs: 20_000, what: 'the bare server' });
    await new Promise((r) => setTimeout(r, 2000));
    const atStart = await memoryOf(bot.pid as number);

    const bodies = Array.from({ length: GROUPS }, (_, i) => JSON.stringify(payload({ alertname: `Outside${i}`, alerts: hosts(3), commonLabels: { bench: 'outside' } })));
    const avgBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length);
    await blast(barePort, bodies.slice(0, 500));
    const holder = INTAKE_ONLY ? await SqliteStore.open(path.join(dir, 'data')) : undefined;
    const held = holder ? await new StoreCoordination(holder).tryLock(INBOX_LOCK, 10 * 60_000) : undefined;
    if (holder && !held) throw new Error('could not take the inbox lock for --intake-only');
    const bareRun = { seconds: 0, ok: 0, cpu: 0 };
    const botRun = { seconds: 0, ok: 0, cpu: 0 };
    const slice = Math.ceil(bodies.length / ROUNDS);
    const load = os.loadavg()[0] as number;
    for (let r = 0; r < ROUNDS; r++) {
      const part = bodies.slice(r * slice, (r + 1) * slice);
      const bareCpu = await cpuOf(bare.pid as number);
      const b = await blast(barePort, part);
      const botCpu = await cpuOf(bot.pid as number);
      bareRun.cpu += (await cpuOf(bare.pid as number)) - bareCpu;
      const t0 = process.hrtime.bigint() / 1000n;
      const o = await blast(port, part);
      if (process.env.BENCH_MARK_ROUNDS) process.stderr.write(`opsbot round ${r}: monotonic µs ${t0}–${process.hrtime.bigint() / 1000n}\n`);
      botRun.cpu += (await cpuOf(bot.pid as number)) - botCpu;
      bareRun.seconds += b.seconds; bareRun.ok += b.ok;
      botRun.seconds += o.seconds; botRun.ok += o.ok;
    }
    await held?.release();
    await holder?.close();
    const loadEnded = performance.now();
    const botCpuAtEnd = await cpuOf(bot.pid as number);

    // Applied: the inbox is empty and every group is stored (a second connection to the bot's file).
    const db = new Database(path.join(dir, 'data', 'opsbot.sqlite'), { readonly: true, fileMustExist: true });
    const count = (table: string) => {
      try { return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n; } catch { return -1; }
    };
    let groups = 0;
    for (;;) {
      groups = count('coll_alert_groups');
      if (count('coll_alert_inbox') === 0 && groups >= botRun.ok) break;
      if (performance.now() - loadEnded > 5 * 60_000) throw new Error(`not applied after 5 minutes (${groups} groups)`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const appliedSeconds = (performance.now() - loadEnded) / 1000;
    const applyCpu = (await cpuOf(bot.pid as number)) - botCpuAtEnd;
    db.close();
    await new Promise((r) => setTimeout(r, 3000));
    const open = await memoryOf(bot.pid as number);
    // V8 gives the burst's garbage back when allocation has been low for a while (its memory reducer).
    await new Promise((r) => setTimeout(r, Number(process.env.BENCH_SETTLE_MS ?? 45_000)));
    const settled = await memoryOf(bot.pid as number);

    const bareRate = bareRun.ok / bareRun.seconds;
    const botRate = botRun.ok / botRun.seconds;
    process.stdout.write(`\nAlertmanager webhook ingest from outside${INTAKE_ONLY ? ', intake only (nothing applied during the load)' : ''} — ${GROUPS} webhooks (3 alerts, ~${avgBytes} bytes, every body different), concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds, loopback, ${os.cpus().length} CPUs, load ${load.toFixed(2)}, Node ${process.version}\n\n`);
    const us = (r: { cpu: number; ok: number }) => (r.cpu / r.ok).toFixed(0);
    process.stdout.write(`${table(['server (own process)', 'ok', 'seconds', 'req/s', 'vs bare', 'server CPU µs/req'], [
      ['bare node:http (read body, 200)', String(bareRun.ok), bareRun.seconds.toFixed(2), bareRate.toFixed(0), '1.00', us(bareRun)],
      ['opsbot start (dist/cli.js)', String(botRun.ok), botRun.seconds.toFixed(2), botRate.toFixed(0), (botRate / bareRate).toFixed(2), us(botRun)],
    ])}\n`);
    process.stdout.write(`\nserver CPU per webhook while answering: opsbot ${us(botRun)} µs, bare ${us(bareRun)} µs (${(botRun.cpu / botRun.ok / (bareRun.cpu / bareRun.ok)).toFixed(2)}×); applying after the load: ${(applyCpu / botRun.ok).toFixed(0)} µs per webhook\n`);
    process.stdout.write(`\nevery accepted group applied ${appliedSeconds.toFixed(2)} s after the last answer (${groups} groups in the store)\n`);
    process.stdout.write(`resident memory of the opsbot process (/proc/<pid>/status VmRSS): ${atStart.rss.toFixed(0)} MiB after start; with ${groups} open groups ${open.rss.toFixed(0)} MiB 3 s after they were applied, ${settled.rss.toFixed(0)} MiB ${((Number(process.env.BENCH_SETTLE_MS ?? 45_000) + 3000) / 1000).toFixed(0)} s after; peak (VmHWM) ${settled.hwm.toFixed(0)} MiB\n`);
    summary(INTAKE_ONLY ? 'ingest-outside.ts --intake-only' : 'ingest-outside.ts', `\`opsbot start\`${INTAKE_ONLY ? ' (nothing applied during the load: another process holds the inbox lock)' : ''} process fed ${GROUPS} webhooks vs a bare server process; applied after the load; VmRSS`,
      `${botRate.toFixed(0)}/s = ${(botRate / bareRate).toFixed(2)}× bare (goal ≥ 0.7×), server CPU ${us(botRun)} µs per webhook (bare ${us(bareRun)}); applied ${appliedSeconds.toFixed(1)} s after (goal ≤ 5 s); VmRSS ${atStart.rss.toFixed(0)} MiB after start, ${settled.rss.toFixed(0)} MiB with ${groups} open groups (goal < 200; ${open.rss.toFixed(0)} MiB right after the burst, peak ${settled.hwm.toFixed(0)})`);
  } finally {
    agent.destroy();
    await stopProcesses(bot, bare);
    await slack.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

await main();

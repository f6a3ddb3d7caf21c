/**
 * Memory after 1,000,000 webhooks (not in CI; it takes tens of minutes): a real `opsbot start`
 * (the built `dist/cli.js`, Slack in HTTP mode against the protocol stand-in, the embedded SQLite
 * store, retention on) fed Alertmanager webhooks at a steady rate by this process, over a pool of
 * group slots: each webhook for a slot repeats its last notification (Alertmanager's
 * repeat_interval: the de-duplication path), changes its alerts (an update), resolves it, or, once
 * resolved, opens a new group in that slot. So groups keep opening and resolving, chat messages
 * keep being posted and updated, and retention keeps removing what finished.
 *
 * Retention periods are shortened (config below) so pruning happens within the run: resolved
 * groups, delivered chat messages and audit entries older than a few minutes, swept every minute.
 *
 * Sampled every 5 s: VmRSS of the bot (/proc/<pid>/status) and its V8 heap (the bot's own
 * /metrics). Reported: the curve (after start, 100k, 250k, 500k, 1M, settled), the trend after
 * warm-up (MiB per 100k webhooks, least squares over the samples after 100k), the store's files
 * and row counts.
 *
 * Usage: npx tsx bench/million.ts [--webhooks 1000000] [--rate 500] [--pool 5000] [--concurrency 16] [--settle 90]
 * (builds dist/ first when it is older than src/; BENCH_NODE_OPTIONS becomes the bot's NODE_OPTIONS,
 * e.g. --heapsnapshot-signal=SIGUSR2 to take heap snapshots while it runs.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { hosts, payload } from '../test/support/alert-payloads.js';
import { slackEnv, startSlackStandIn } from '../test/support/slack.js';
import { freePort, waitFor } from '../test/support/host.js';
import { summary, table } from './summary.js';
import { ensureBuilt } from './built.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const WEBHOOKS = arg('webhooks', 1_000_000);
const RATE = arg('rate', 500);
const POOL = arg('pool', 5_000);
const CONCURRENCY = arg('concurrency', 16);
const SETTLE_S = arg('settle', 90);
const TOKEN = 'bench-million-token-0123456789';
const CHANNELS = Array.from({ length: 8 }, (_, i) => `C0MILL${i}`);
const CHECKPOINTS = [100_000, 250_000, 500_000, 1_000_000].filter((c) => c <= WEBHOOKS);

const CONFIG = `
alerting:
  defaultChannel: slack:${CHANNELS[0]}
  rate: { messages: 100, per: 1s }
  storm: { threshold: 100000, window: 1m }
  routes:
${CHANNELS.map((c, i) => `    - matchers: ['team="t${i}"']\n      channels: [slack:${c}]`).join('\n')}
retention:
  alertGroups: 2m
  outboxDelivered: 2m
  audit: 5m
  interval: 1m
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => bytes / 1024 / 1024;

interface Sample { t: number; sent: number; rssMiB: number; heapUsedMiB: number; externalMiB: number }
interface Slot { team: string; gen: number; open: boolean; n: number; lastBody?: string; busy: boolean; changes: number }

async function main(): Promise<void> {
  ensureBuilt(root);
  const slack = await startSlackStandIn();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-million-'));
  const dataDir = path.join(dir, 'data');
  const configFile = path.join(dir, 'opsbot.yaml');
  await writeFile(configFile, CONFIG);
  const port = await freePort();
  const bot = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'start', '--config', configFile], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', OPSBOT_DATA_DIR: dataDir, WEBHOOK_TOKEN: TOKEN, ...slackEnv(slack), ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  bot.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const samples: Sample[] = [];
  const counts = { sent: 0, accepted: 0, duplicate: 0, other: 0, errors: 0, opened: 0, updates: 0, resolves: 0, repeats: 0, chatCalls: 0 };
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  async function sample(): Promise<Sample | undefined> {
    const status = await readFile(`/proc/${bot.pid}/status`, 'utf8').catch(() => '');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(4000) }).then((r) => r.text(), () => '');
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN);
    if (Number.isNaN(rss)) return undefined;
    const s = { t: elapsed(), sent: counts.sent, rssMiB: rss, heapUsedMiB: mib(metric('opsbot_nodejs_heap_size_used_bytes')), externalMiB: mib(metric('opsbot_nodejs_external_memory_bytes')) };
    samples.push(s);
    return s;
  }

  function post(body: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/webhooks/alertmanager', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TOKEN}` } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(text) as { status?: string }).status : `http ${res.statusCode}`));
      });
      req.on('error', () => resolve(undefined));
      req.end(body);
    });
  }

  const slots: Slot[] = Array.from({ length: POOL }, (_, i) => ({ team: `t${i % CHANNELS.length}`, gen: 0, open: false, n: 1, busy: false, changes: 0 }));
  const startsAt = (s: Slot) => new Date(Date.UTC(2026, 10, 24, 9) + s.gen * 60_000).toISOString();

  /** The next webhook of a free slot: a new group, a repeat, an update or a resolve. */
  function next(): { slot: Slot; body: string; apply: () => void; kind: 'opened' | 'repeats' | 'updates' | 'resolves' } {
    let slot: Slot;
    let idx: number;
    do { idx = Math.floor(Math.random() * POOL); slot = slots[idx] as Slot; } while (slot.busy);
    const alertname = `Mill${idx}g${slot.gen}`;
    const make = (n: number, resolved: boolean) => JSON.stringify(payload({
      alertname, commonLabels: { team: slot.team },
      alerts: hosts(n, resolved ? { status: 'resolved', startsAt: startsAt(slot) } : { startsAt: startsAt(slot) }),
    }));
    if (!slot.open) {
      const gen = slot.gen + 1;
      const body = JSON.stringify(payload({ alertname: `Mill${idx}g${gen}`, commonLabels: { team: slot.team }, alerts: hosts(1, { startsAt: new Date(Date.UTC(2026, 10, 24, 9) + gen * 60_000).toISOString() }) }));
      return { slot, body, kind: 'opened', apply: () => { slot.gen = gen; slot.open = true; slot.n = 1; slot.lastBody = body; } };
    }
    const r = Math.random();
    if (r < 0.45 && slot.lastBody) return { slot, body: slot.lastBody, kind: 'repeats', apply: () => undefined };
    if (r < 0.8) {
      const n = 1 + ((slot.n + 1 + Math.floor(Math.random() * 2)) % 4);
      const body = make(n, false);
      return { slot, body, kind: 'updates', apply: () => { slot.n = n; slot.lastBody = body; } };
    }
    const body = make(slot.n, true);
    return { slot, body, kind: 'resolves', apply: () => { slot.open = false; slot.lastBody = undefined; } };
  }

  const storeSize = async () => mib((await Promise.all((await readdir(dataDir).catch(() => [] as string[])).map((f) => stat(path.join(dataDir, f)).then((x) => x.size, () => 0)))).reduce((a, b) => a + b, 0));
  let sampler: NodeJS.Timeout | undefined;
  try {
    await waitFor(async () => {
      if (bot.exitCode !== null) throw new Error(`bot exited ${bot.exitCode}: ${stderr}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false)) || undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'opsbot readyz' });
    await sleep(2000);
    const atStart = await sample();
    const loadAtStart = os.loadavg();
    process.stdout.write(`million: ${WEBHOOKS} webhooks at ${RATE}/s over ${POOL} group slots, concurrency ${CONCURRENCY}, bot pid ${bot.pid}, load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}\n`);
    sampler = setInterval(() => {
      void sample().then((s) => {
        // The stand-in keeps every call; the bench only needs their number.
        counts.chatCalls += slack.calls.length;
        slack.reset();
        if (s && Math.round(s.t) % 30 < 5) {
          void storeSize().then((store) => process.stdout.write(`[${s.t.toFixed(0)}s] sent ${counts.sent} (accepted ${counts.accepted}, duplicate ${counts.duplicate}, errors ${counts.errors + counts.other}) rss ${s.rssMiB.toFixed(0)} MiB heap ${s.heapUsedMiB.toFixed(0)} MiB store ${store.toFixed(0)} MiB chat calls ${counts.chatCalls} load ${os.loadavg()[0]?.toFixed(2)}\n`));
        }
      });
    }, 5000);

    const loadStarted = performance.now();
    let issued = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (issued < WEBHOOKS) {
        const i = issued++;
        const due = loadStarted + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const w = next();
        w.slot.busy = true;
        const status = await post(w.body);
        w.slot.busy = false;
        counts.sent++;
        if (status === 'accepted' || status === 'duplicate') {
          counts[status]++;
          counts[w.kind]++;
          w.apply();
        } else if (status === undefined) counts.errors++;
        else counts.other++;
      }
    }));
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const loadAtEnd = os.loadavg();

    // Settle: the inbox applied and the outbox drained, then memory watched for SETTLE_S.
    const db = new Database(path.join(dataDir, 'opsbot.sqlite'), { readonly: true, fileMustExist: true });
    const count = (sql: string) => { try { return (db.prepare(sql).get() as { n: number }).n; } catch { return -1; } };
    await waitFor(() => count('SELECT COUNT(*) AS n FROM coll_alert_inbox') === 0 || undefined, { timeoutMs: 5 * 60_000, intervalMs: 500, what: 'inbox applied' });
    const settleEnd = performance.now() + SETTLE_S * 1000;
    while (performance.now() < settleEnd) await sleep(1000);
    clearInterval(sampler);
    sampler = undefined;
    const settled = await sample();
    const rows = {
      alertGroups: count('SELECT COUNT(*) AS n FROM coll_alert_groups'),
      outbox: count('SELECT COUNT(*) AS n FROM coll_outbox'),
      audit: count('SELECT COUNT(*) AS n FROM coll_audit'),
      inbox: count('SELECT COUNT(*) AS n FROM coll_alert_inbox'),
    };
    db.close();
    const files = await Promise.all((await readdir(dataDir)).map(async (f) => ({ f, bytes: (await stat(path.join(dataDir, f))).size })));
    const storeMiB = mib(files.reduce((n, x) => n + x.bytes, 0));

    // The curve, and the trend after warm-up (least squares of RSS over webhooks sent, samples after 100k).
    const at = (n: number) => samples.find((s) => s.sent >= n);
    const warm = samples.filter((s) => s.sent >= Math.min(100_000, WEBHOOKS / 10) && s.sent < WEBHOOKS);
    const slope = (ys: number[]) => {
      const xs = warm.map((s) => s.sent / 100_000);
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      const sxy = xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0);
      const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
      return sxx ? sxy / sxx : 0;
    };
    const rssSlope = slope(warm.map((s) => s.rssMiB));
    const heapSlope = slope(warm.map((s) => s.heapUsedMiB));
    const points: [string, Sample | undefined][] = [['after start', atStart], ...CHECKPOINTS.map((c) => [`after ${c / 1000}k`, at(c)] as [string, Sample | undefined]), [`settled (${SETTLE_S} s after the inbox was applied)`, settled]];
    const warmRss = warm.map((s) => s.rssMiB);
    process.stdout.write(`\n1,000,000-webhook run: ${counts.sent} webhooks in ${loadSeconds.toFixed(0)} s = ${(counts.sent / loadSeconds).toFixed(0)}/s (asked ${RATE}/s), ${POOL} group slots, ${CHANNELS.length} channels, retention shortened (resolved groups and delivered messages 2m, audit 5m, sweep every 1m); ${os.cpus().length} CPUs, Node ${process.version}, load ${loadAtStart[0]?.toFixed(2)} at start, ${loadAtEnd[0]?.toFixed(2)} at the end\n\n`);
    process.stdout.write(`${table(['point', 'webhooks', 'VmRSS MiB', 'heap used MiB', 'external MiB'], points.map(([name, s]) => [name, String(s?.sent ?? '-'), s ? s.rssMiB.toFixed(0) : '-', s ? s.heapUsedMiB.toFixed(0) : '-', s ? s.externalMiB.toFixed(0) : '-']))}\n`);
    process.stdout.write(`\nafter warm-up (${warm.length} samples from 100k): VmRSS min ${Math.min(...warmRss).toFixed(0)} / max ${Math.max(...warmRss).toFixed(0)} MiB, trend ${rssSlope.toFixed(2)} MiB per 100k webhooks (heap ${heapSlope.toFixed(2)} MiB per 100k)\n`);
    process.stdout.write(`webhooks: ${JSON.stringify(counts)}\n`);
    process.stdout.write(`store: ${files.map((x) => `${x.f} ${mib(x.bytes).toFixed(1)} MiB`).join(', ')} (${storeMiB.toFixed(1)} MiB); rows: ${JSON.stringify(rows)}\n`);
    // Flat: no upward trend after warm-up (less than 2 MiB per 100k webhooks).
    const flat = rssSlope < 2;
    summary('million.ts', `\`opsbot start\` fed ${counts.sent.toLocaleString('en')} webhooks (opening, updating, repeating, resolving groups; retention on, shortened) at ${(counts.sent / loadSeconds).toFixed(0)}/s; VmRSS curve and trend`,
      `VmRSS ${points.map(([name, s]) => `${name.split(' (')[0]} ${s ? s.rssMiB.toFixed(0) : '-'}`).join(', ')} MiB; trend after warm-up ${rssSlope.toFixed(1)} MiB per 100k (goal: flat${flat ? ', met' : ', NOT met'}); store ${storeMiB.toFixed(0)} MiB`);
    if (counts.errors + counts.other > 0) process.stdout.write(`bot stderr (tail):\n${stderr}\n`);
    process.exitCode = flat && counts.errors + counts.other === 0 ? 0 : 1;
  } finally {
    if (sampler) clearInterval(sampler);
    agent.destroy();
    bot.kill('SIGTERM');
    await Promise.race([new Promise((r) => bot.once('exit', r)), sleep(15_000)]);
    bot.kill('SIGKILL');
    await slack.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

await main();

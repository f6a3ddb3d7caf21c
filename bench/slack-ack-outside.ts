/**
 * Slash command → ack from outside, as Slack sees it: a real `opsbot start` process (the built
 * `dist/cli.js`, Slack in HTTP mode against a stand-in Web API, the embedded SQLite store) and a
 * bare node:http server process that reads the same form and answers a fixed JSON body, each
 * sent bursts of CONCURRENCY signed `/ops help` requests at once (keep-alive, one socket per
 * request in flight) from this process, the two taking turns. The latency of each request is
 * from sending it to the last byte of its answer; the server's CPU is read from /proc.
 * Usage: npx tsx bench/slack-ack-outside.ts [--concurrency 200] [--bursts 5] [--ack-within 0]
 * (`--ack-within MS` sets `slack.ackWithin`; with 0 every command is acked before it runs, and the
 * time until its result reaches the response_url is reported too)
 * (builds dist/ first when it is older than src/; BENCH_NODE_ARGS are node's arguments for the bot, e.g. --cpu-prof).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signSlack, slackEnv, startSlackStandIn } from '../test/support/slack.js';
import { freePort, waitFor } from '../test/support/host.js';
import { cpuOf, ensureBuilt, stopProcesses } from './built.js';
import { summary, table } from './summary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '200' }, bursts: { type: 'string', default: '5' }, 'ack-within': { type: 'string' } } });
const CONCURRENCY = Math.max(1, Number(values.concurrency));
const BURSTS = Math.max(1, Number(values.bursts));
const GOAL_P99_MS = 100;
const ACK_WITHIN = values['ack-within'] === undefined ? undefined : Math.max(0, Number(values['ack-within']));

const BARE = `const http = require('node:http');
http.createServer((req, res) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => {
  const form = new URLSearchParams(Buffer.concat(c).toString());
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ response_type: 'ephemeral', text: 'ok: ' + (form.get('text') || ''), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'opsbot commands' } }] }));
}); }).listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));`;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** Sends one signed request; `sentAt` (epoch ms) is when it left, for the time to its result. */
function send(port: number, body: string, secret: string, sentAt?: (ms: number) => void): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  sentAt?.(Date.now());
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signSlack(secret, ts, body) };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${res.statusCode} from port ${port}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function main(): Promise<void> {
  ensureBuilt(root);
  const slack = await startSlackStandIn();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-ack-'));
  const configFile = path.join(dir, 'opsbot.yaml');
  await writeFile(configFile, `targets: {}\n${ACK_WITHIN === undefined ? '' : `slack:\n  ackWithin: ${ACK_WITHIN}\n`}`);
  const port = await freePort();
  const bot = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'dist', 'cli.js'), 'start', '--config', configFile], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', OPSBOT_DATA_DIR: path.join(dir, 'data'), ...slackEnv(slack) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  bot.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['-e', BARE, String(barePort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) || undefined, { timeoutMs: 60_000, what: `opsbot start on port ${port}: ${stderr}` });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${barePort}/`, { method: 'POST', body: '' }).then((r) => r.ok, () => false)) || undefined, { timeoutMs: 20_000, what: 'the bare server' });
    let user = 0;
    /** The bot's results at the response_url, ms after their request was sent (acked-first runs only). */
    const results: number[] = [];
    const burst = async (p: number): Promise<number[]> => {
      const sent: { url: string; at: number }[] = [];
      const ms = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => {
        const responseUrl = slack.responseUrl(`b${user}-${i}`);
        return send(p, slack.slashCommandBody({ text: 'help', userId: `U0BENCH${user++ % 20}`, responseUrl }), slack.signingSecret, (at) => sent.push({ url: responseUrl, at }));
      }));
      if (p === port && ACK_WITHIN === 0) {
        const answered = () => sent.map((s) => slack.responsesTo(s.url)[0]);
        await waitFor(() => answered().every(Boolean) || undefined, { timeoutMs: 30_000, what: 'every result at the response_url' });
        answered().forEach((r, i) => results.push((r?.at as number) - (sent[i]?.at as number)));
      }
      slack.reset();
      return ms;
    };
    // Warm-up: opens the sockets and lets both servers compile their paths.
    for (let i = 0; i < 2; i++) { await burst(port); await burst(barePort); }
    results.length = 0;
    const load = os.loadavg()[0] as number;
    const got = { bot: { ms: [] as number[], cpu: 0 }, bare: { ms: [] as number[], cpu: 0 } };
    for (let b = 0; b < BURSTS; b++) {
      for (const [key, p, pid] of [['bare', barePort, bare.pid], ['bot', port, bot.pid]] as const) {
        const cpu = await cpuOf(pid as number);
        got[key].ms.push(...await burst(p));
        got[key].cpu += (await cpuOf(pid as number)) - cpu;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const rows = (['bare', 'bot'] as const).map((key) => {
      const s = got[key].ms.sort((a, b) => a - b);
      return [key === 'bare' ? 'bare node:http (own process)' : 'opsbot start (dist/cli.js)', String(s.length), pct(s, 50).toFixed(1), pct(s, 90).toFixed(1), pct(s, 99).toFixed(1), (s.at(-1) as number).toFixed(1), (got[key].cpu / s.length / 1000).toFixed(2)];
    });
    const mode = ACK_WITHIN === undefined ? '' : `, slack.ackWithin ${ACK_WITHIN} ms`;
    process.stdout.write(`\nSlash command ack from outside — ${BURSTS} bursts of ${CONCURRENCY} signed "/ops help" at once per server, taking turns, loopback, ${os.cpus().length} CPUs, load ${load.toFixed(2)}${mode}, Node ${process.version}\n\n`);
    if (results.length) {
      const s = results.sort((a, b) => a - b);
      rows.push(['opsbot: result at response_url', String(s.length), pct(s, 50).toFixed(1), pct(s, 90).toFixed(1), pct(s, 99).toFixed(1), (s.at(-1) as number).toFixed(1), '']);
    }
    process.stdout.write(`${table(['server', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server CPU ms/req'], rows)}\n`);
    const [bareRow, botRow, resultRow] = rows as [string[], string[], string[] | undefined];
    summary('slack-ack-outside.ts', `a real \`opsbot start\`: bursts of ${CONCURRENCY} signed \`/ops help\` at once → ack (goal p99 < ${GOAL_P99_MS} ms)${mode}`,
      `p50 ${botRow[2]} / p99 ${botRow[4]} ms, ${botRow[6]} ms CPU per command (bare process: ${bareRow[2]} / ${bareRow[4]} ms)${resultRow ? `; result at the response_url p50 ${resultRow[2]} / p99 ${resultRow[4]} ms` : ''}`);
  } finally {
    agent.destroy();
    await stopProcesses(bot, bare);
    await slack.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

await main();

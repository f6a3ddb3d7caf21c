/**
 * Slash command → ack latency: signed `/ops help` requests into the real bot (Fastify + Bolt +
 * router + audit write on the embedded store), against a bare Node HTTP server that reads the
 * same request and answers a fixed JSON body, in the same run, on loopback.
 *
 *   npx tsx bench/slack-ack.ts [--requests 300] [--concurrency 10]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBot } from '../src/main.js';
import { parseConfigText } from '../src/config/load.js';
import { envSchema } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { Redactor } from '../src/core/redact.js';
import { SlackStandIn, signSlack } from '../test/support/slack.js';
import { summary } from './summary.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '10' } } });
const CONCURRENCY = Math.max(2, Number(values.concurrency));
/** Requests per turn of each server: at least the concurrency, so that many are really in flight at once. */
const ROUND = Math.max(50, CONCURRENCY);
const REQUESTS = Math.max(200, 3 * ROUND, Number(values.requests));
const WARMUP = 50;

async function bareServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response_type: 'ephemeral', text: `ok: ${form.get('text') ?? ''}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'opsbot commands' } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function one(url: string, slack: SlackStandIn, i: number): Promise<number> {
  const body = slack.slashCommandBody({ text: 'help', userId: `U0BENCH${i % 20}` });
  const ts = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signSlack(slack.signingSecret, ts, body) };
  const started = performance.now();
  const res = await fetch(`${url}/slack/events`, { method: 'POST', headers, body });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${url}`);
  return ms;
}

async function run(url: string, slack: SlackStandIn, n: number, concurrency: number): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      samples.push(await one(url, slack, i));
    }
  }));
  return { samples, wallMs: performance.now() - started };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const slack = await new SlackStandIn().start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-'));
  const rawEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OPSBOT_DATA_DIR: dataDir, SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: slack.signingSecret, SLACK_API_URL: slack.apiUrl };
  const env = envSchema.parse(rawEnv);
  const config = parseConfigText('targets: {}\n', 'bench.yaml', rawEnv);
  const bot = await createBot({ config, env, rawEnv, console: false, log: createLogger({ level: 'silent', redactor: new Redactor(), pretty: false }) });
  const { port } = await bot.start();
  const botUrl = `http://127.0.0.1:${port}`;
  const bare = await bareServer();

  const rows: string[][] = [];
  try {
    await run(botUrl, slack, WARMUP, 1);
    await run(bare.url, slack, WARMUP, 1);
    // Interleaved in rounds, so a change in machine load (2 shared cores) hits both servers alike.
    for (const c of [1, CONCURRENCY]) {
      const got = { bare: { samples: [] as number[], wallMs: 0 }, bot: { samples: [] as number[], wallMs: 0 } };
      for (let done = 0; done < REQUESTS; done += ROUND) {
        const n = Math.min(ROUND, REQUESTS - done);
        for (const [key, url] of [['bare', bare.url], ['bot', botUrl]] as const) {
          const r = await run(url, slack, n, c);
          got[key].samples.push(...r.samples);
          got[key].wallMs += r.wallMs;
        }
      }
      for (const [key, name] of [['bare', 'bare node:http (baseline)'], ['bot', 'opsbot /slack/events']] as const) {
        const s = got[key].samples.sort((a, b) => a - b);
        rows.push([name, String(c), String(s.length), pct(s, 50).toFixed(2), pct(s, 90).toFixed(2), pct(s, 99).toFixed(2), (s.at(-1) as number).toFixed(2), ((s.length / got[key].wallMs) * 1000).toFixed(0)]);
      }
    }
  } finally {
    await bare.close();
    await bot.stop();
    await slack.close();
    await rm(dataDir, { recursive: true, force: true });
  }

  const head = ['server', 'concurrency', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'req/s'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  process.stdout.write(`Slash command ack latency: signed "/ops help" (form body, HMAC verified, Bolt, router, audit on the embedded store) vs a bare node:http server reading the same request,\ninterleaved in rounds of 50; client and both servers share this process. Node ${process.version}, ${os.cpus().length} CPUs, loopback. Slack's limit is 3000 ms.\n\n`);
  process.stdout.write(`${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
  const one = rows.filter((r) => r[1] === '1');
  const many = rows.filter((r) => r[1] === String(CONCURRENCY));
  const [bare1, bot1] = one as [string[], string[]];
  const [bareN, botN] = many as [string[], string[]];
  summary('slack-ack.ts', `in one process: signed \`/ops help\` → ack, ${REQUESTS} requests one at a time and ${CONCURRENCY} in flight (goal p99 < 100 ms with 200 in flight)`,
    `p50 ${bot1[3]} / p99 ${bot1[5]} ms one at a time (bare: ${bare1[3]} / ${bare1[5]}); p50 ${botN[3]} / p99 ${botN[5]} ms with ${CONCURRENCY} in flight (bare: ${bareN[3]} / ${bareN[5]})`);
}

await main();

/**
 * Approve press → execution start: a signed Slack block action `approve <id>` into the real bot
 * (Bolt, router, RBAC, the approvals service's compare-and-sets, audit, the router again for the
 * approved command) until the command's handler starts; against, in the same run, a press of a
 * button that runs the same command directly (no approval), on loopback.
 *
 *   npx tsx bench/approval-latency.ts [--requests 200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createBot } from '../src/main.js';
import { parseConfigText } from '../src/config/load.js';
import { envSchema } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { Redactor } from '../src/core/redact.js';
import { defineCommand } from '../src/core/command.js';
import { textReply } from '../src/core/reply.js';
import { SlackStandIn } from '../test/support/slack.js';
import { summary } from './summary.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '200' } } });
const REQUESTS = Math.max(50, Number(values.requests));
const WARMUP = 20;

const yaml = `
targets:
  prod: { environment: production }
  staging: { environment: staging }
people:
  alice: { slack: U0ALICE, roles: [operator] }
  bob: { slack: U0BOB, roles: [lead] }
rbac:
  roles:
    operator: { allow: [patch] }
    lead: { allow: [patch] }
approvals:
  rules:
    - { commands: [patch], environments: [production], approvers: [lead] }
alerting:
  rate: { messages: 1000, per: 1s }
`;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const slack = await new SlackStandIn().start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-'));
  const rawEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OPSBOT_DATA_DIR: dataDir, SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: slack.signingSecret, SLACK_API_URL: slack.apiUrl };
  const env = envSchema.parse(rawEnv);
  const config = parseConfigText(yaml, 'bench.yaml', rawEnv);
  const bot = await createBot({ config, env, rawEnv, console: false, log: createLogger({ level: 'silent', redactor: new Redactor(), pretty: false }) });
  let started: (() => void) | undefined;
  bot.registry.register(defineCommand({
    name: 'patch', summary: 'bench', risk: 'dangerous',
    params: [{ name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' }],
    schema: z.object({ target: z.enum(['prod', 'staging']) }),
    targetOf: (a) => a.target,
    async run() { started?.(); return textReply('patched', 'ok', ''); },
  }));
  const { port } = await bot.start();
  const url = `http://127.0.0.1:${port}`;
  const press = async (value: string, userId: string): Promise<number> => {
    const running = new Promise<void>((r) => { started = r; });
    const t0 = performance.now();
    const res = await slack.sendBlockAction(url, { value, userId, channelId: 'C0OPS', messageTs: '1700000000.000100' });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    await running;
    return performance.now() - t0;
  };
  const approval = async (): Promise<number> => {
    const held = await bot.router.handle({ subject: { id: 'slack:U0ALICE' }, surface: 'slack', channel: 'C0OPS', line: 'patch prod' });
    const id = held.pending?.approval;
    if (!id) throw new Error(`not held: ${held.reply.title}`);
    const ms = await press(`approve ${id}`, 'U0BOB');
    await bot.approvals.settled();
    return ms;
  };
  const direct = () => press('patch staging', 'U0ALICE');
  const got = { direct: [] as number[], approval: [] as number[] };
  try {
    for (let i = 0; i < WARMUP; i++) { await direct(); await approval(); }
    // Interleaved, so a change in machine load hits both alike.
    for (let i = 0; i < REQUESTS; i++) {
      got.direct.push(await direct());
      got.approval.push(await approval());
    }
  } finally {
    await bot.stop();
    await slack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const rows = ([['direct press (no approval, baseline)', got.direct], ['approve press → approved command starts', got.approval]] as const).map(([name, s]) => {
    const sorted = [...s].sort((a, b) => a - b);
    return [name, String(sorted.length), pct(sorted, 50).toFixed(2), pct(sorted, 90).toFixed(2), pct(sorted, 99).toFixed(2), (sorted.at(-1) as number).toFixed(2)];
  });
  const head = ['press', 'presses', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  process.stdout.write(`Approve press → execution start: signed Slack block action into the bot until the command's handler runs, embedded store, one at a time.\nNode ${process.version}, ${os.cpus().length} CPUs, loopback.\n\n`);
  process.stdout.write(`${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
  const [d, a] = rows as [string[], string[]];
  summary('approval-latency.ts', 'signed Slack Approve press → the approved command\'s handler starts, vs a direct press', `p50 ${a[2]} ms / p99 ${a[4]} ms (direct: ${d[2]} / ${d[4]} ms)`);
}

await main();

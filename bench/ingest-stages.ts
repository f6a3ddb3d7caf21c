/**
 * Where the CPU of one Alertmanager webhook goes, stage by stage, in µs of process CPU
 * (process.cpuUsage: user + system) per webhook, over the same 10,000 bodies alert-ingest.ts
 * posts (3 alerts, ~1.3 KB): decoding and parsing the body (plain and Fastify's default parser),
 * the bounds walk, validation (zod, the reference, and the hand-written fast path), the
 * duplicate fingerprint, serialising the stored entry, and the inbox write on the embedded
 * store (group commit of 32 webhooks, as with 32 concurrent senders). Wall-clock req/s on a
 * shared machine is noisy; CPU per webhook is what the intake costs wherever it runs.
 * Usage: npx tsx bench/ingest-stages.ts [--groups 10000] [--repeat 5]
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { payloadShapeProblem, webhookPayloadSchema, notificationHash, type WebhookPayload } from '../src/core/alerts/payload.js';
import { fastWebhookPayload } from '../src/core/alerts/payload-fast.js';
import { SqliteStore } from '../src/core/store/sqlite/store.js';
import { hosts, payload } from '../test/support/alert-payloads.js';
import { summary, table } from './summary.js';

const secureJsonParse = (createRequire(import.meta.url)('secure-json-parse') as { parse(text: string, opts: object): unknown }).parse;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const GROUPS = arg('groups', 10_000);
const REPEAT = arg('repeat', 5);
const BATCH = 32;

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** The least CPU µs per item over REPEAT runs of `fn` over every item (least: the run with the fewest interruptions). */
async function perItem<T>(items: T[], fn: (item: T, i: number) => unknown): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < REPEAT; r++) {
    const start = cpuMicros();
    for (let i = 0; i < items.length; i++) await fn(items[i] as T, i);
    best = Math.min(best, (cpuMicros() - start) / items.length);
  }
  return best;
}

async function main(): Promise<void> {
  const bodies = Array.from({ length: GROUPS }, (_, i) => Buffer.from(JSON.stringify(payload({ alertname: `Bench${i}`, alerts: hosts(3), commonLabels: { bench: 'ingest' } }))));
  const texts = bodies.map((b) => b.toString('utf8'));
  const parsed = texts.map((t) => JSON.parse(t) as unknown);
  const valid = parsed.map((p) => webhookPayloadSchema.parse(p));
  const jsons = valid.map((p) => JSON.stringify(p));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-bench-stages-'));
  const store = await SqliteStore.open(dir);
  const inbox = store.collection<{ _id: string; seq: number; receivedAt: Date; entries: { hash: string; json: string }[] }>('alert_inbox');
  await inbox.createIndex({ seq: 1 });
  const rounds = Array.from({ length: Math.ceil(GROUPS / BATCH) }, (_, r) => jsons.slice(r * BATCH, (r + 1) * BATCH));
  let seq = 0;

  const stages: [string, number][] = [
    ['body Buffer → string (utf8)', await perItem(bodies, (b) => b.toString('utf8'))],
    ['JSON.parse', await perItem(texts, (t) => JSON.parse(t))],
    ['Fastify default parser (secure-json-parse, string)', await perItem(texts, (t) => secureJsonParse(t, { protoAction: 'error', constructorAction: 'error' }))],
    ['bounds walk (payloadShapeProblem)', await perItem(parsed, (p) => payloadShapeProblem(p))],
    ['zod safeParse (reference)', await perItem(parsed, (p) => webhookPayloadSchema.safeParse(p))],
    ['fast validator (fastWebhookPayload)', await perItem(parsed, (p) => fastWebhookPayload(p))],
    ['notificationHash (sha256)', await perItem(valid, (p: WebhookPayload) => notificationHash(p))],
    ['JSON.stringify of the stored entry', await perItem(valid, (p) => JSON.stringify(p))],
    [`inbox insertOne, ${BATCH} entries per write, per entry`, await perItem(rounds, async (round) => {
      await inbox.insertOne({ seq: seq++, receivedAt: new Date(), entries: round.map((json, i) => ({ hash: String(i), json })) });
      await inbox.deleteMany({});
    }) / BATCH],
  ];
  await store.close();
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });

  const avgBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length);
  process.stdout.write(`\nCPU per webhook by intake stage — ${GROUPS} bodies (3 alerts, ~${avgBytes} bytes), least of ${REPEAT} runs, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(2)}, Node ${process.version}\n\n`);
  process.stdout.write(`${table(['stage', 'µs per webhook'], stages.map(([n, us]) => [n, us.toFixed(1)]))}\n`);
  const us = Object.fromEntries(stages);
  const before = (us['Fastify default parser (secure-json-parse, string)'] as number) + (us['bounds walk (payloadShapeProblem)'] as number) + (us['zod safeParse (reference)'] as number);
  const after = (us['Fastify default parser (secure-json-parse, string)'] as number) + (us['bounds walk (payloadShapeProblem)'] as number) + (us['fast validator (fastWebhookPayload)'] as number);
  process.stdout.write(`\nparse + bounds + validation: ${before.toFixed(1)} µs with zod → ${after.toFixed(1)} µs with the fast validator\n`);
  summary('ingest-stages.ts', 'CPU µs per webhook of the intake stages (parse, bounds, validation, hash, inbox write)',
    `parse + bounds + validation ${before.toFixed(0)} µs with Fastify's parser and zod → ${after.toFixed(0)} µs with the fast path; hash ${(us['notificationHash (sha256)'] as number).toFixed(0)} µs, inbox write ${(us[`inbox insertOne, ${BATCH} entries per write, per entry`] as number).toFixed(0)} µs`);
}

await main();

/**
 * What the sqlite / sql probes pay for running SQLite in a killable child process instead of on
 * the bot's event loop: per-check latency of the probes versus the same work done in-process
 * with better-sqlite3 (the baseline), on one file, measured in the same run.
 *   npx tsx bench/probes-sqlite.ts [rows]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCheck } from '../src/ops/probes/index.js';
import { healthCheckSchema } from '../src/config/schema.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const RUNS = 40;

const dir = mkdtempSync(path.join(os.tmpdir(), 'opsbot-bench-sqlite-'));
const file = path.join(dir, 'bench.db');
const db = new Database(file);
db.exec('create table sync_queue (id integer primary key, synced integer not null, payload text)');
const ins = db.prepare('insert into sync_queue (synced, payload) values (?, ?)');
db.transaction(() => { for (let i = 0; i < ROWS; i++) ins.run(i % 10 === 0 ? 0 : 1, 'x'.repeat(100)); })();
db.close();

const QUERY = 'SELECT COUNT(*) FROM sync_queue WHERE synced = 0';

function stats(ms: number[]): { p50: number; p99: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function measure(fn: () => Promise<unknown> | unknown): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const inProcess = (sql: string) => () => {
  const d = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return d.prepare(sql).pluck().all();
  } finally {
    d.close();
  }
};
const probe = (check: unknown) => {
  const parsed = healthCheckSchema.parse(check);
  return async () => {
    const r = await runCheck('bench', parsed, 60_000);
    if (r.status === 'fail') throw new Error(r.detail);
  };
};

const rows: [string, number[]][] = [
  ['baseline: in-process PRAGMA integrity_check', await measure(inProcess('PRAGMA integrity_check'))],
  ['sqlite probe (child process)', await measure(probe({ sqlite: { path: file } }))],
  ['baseline: in-process COUNT(*)', await measure(inProcess(QUERY))],
  ['sql probe on SQLite (child process)', await measure(probe({ sql: { path: file, query: QUERY } }))],
];
rmSync(dir, { recursive: true, force: true });

console.log(`SQLite file with ${ROWS} rows, ${RUNS} runs each (ms)`);
console.log(`${'case'.padEnd(46)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'mean'.padStart(8)}`);
for (const [name, ms] of rows) {
  const s = stats(ms);
  console.log(`${name.padEnd(46)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)} ${s.mean.toFixed(1).padStart(8)}`);
}

/**
 * SQLite backup cost: opsbot's `backup run` (online backup API → gzip → SHA-256 → full verify:
 * gunzip + integrity_check → retention) and `backup verify` alone, against the FerriteDB guide's
 * hand-run script (`sqlite3 db ".backup f"` + `gzip f`) measured in the same run on the same file.
 * Usage: npx tsx bench/backup-sqlite.ts [rows=300000] [rounds=3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseConfigText } from '../src/config/load.js';
import { MemoryCoordination } from '../src/core/coordination/memory.js';
import { EmbeddedStore } from '../src/core/store/index.js';
import { BackupCatalog } from '../src/ops/backup/catalog.js';
import { createEngines } from '../src/ops/backup/engines.js';
import { BackupService } from '../src/ops/backup/service/index.js';

const rows = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(path.join(os.tmpdir(), 'opsbot-bench-bk-'));
const dbFile = path.join(dir, 'app.db');

const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.exec('create table events (id integer primary key, at text, kind text, payload text)');
const ins = db.prepare('insert into events (at, kind, payload) values (?, ?, ?)');
db.transaction(() => {
  for (let i = 0; i < rows; i++) ins.run(new Date(1_700_000_000_000 + i * 1000).toISOString(), `kind-${i % 17}`, `payload ${i} ${'x'.repeat(i % 64)}`);
})();
db.close();
const dbBytes = statSync(dbFile).size;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const time = async (fn: () => unknown) => { const t = performance.now(); await fn(); return performance.now() - t; };

const baseline: number[] = [];
for (let i = 0; i < rounds; i++) {
  const out = path.join(dir, `manual-${i}.db`);
  baseline.push(await time(() => {
    execFileSync('sqlite3', [dbFile, `.backup '${out}'`]);
    execFileSync('gzip', ['-6', out]);
  }));
}
const manualGz = statSync(path.join(dir, 'manual-0.db.gz')).size;

const store = await EmbeddedStore.open(null);
const config = parseConfigText(`targets:\n  app:\n    backups: { name: db, kind: sqlite, source: ${dbFile}, destination: ${dir}/opsbot, retention: { keepLast: 2 } }\n`, 'bench', {});
const svc = new BackupService({ jobs: { app: config.targets.app!.backups }, catalog: BackupCatalog.of(store), coordination: new MemoryCoordination(), engines: createEngines() });
const runs: number[] = [];
const verifies: number[] = [];
let size = 0;
for (let i = 0; i < rounds; i++) {
  let id = '';
  runs.push(await time(async () => { const [r] = await svc.run('app'); if (!r?.ok) throw new Error(r?.error); id = r.record._id; size = r.record.size; }));
  verifies.push(await time(async () => { const [v] = await svc.verify('app', id); if (!v?.ok) throw new Error('verify failed'); }));
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(`SQLite database: ${rows} rows, ${mb(dbBytes)} MiB; ${rounds} rounds, median wall time`);
console.log('| what | median ms | MiB/s of database | stored MiB |');
console.log('|---|---:|---:|---:|');
for (const [name, xs, stored] of [
  ['baseline: sqlite3 .backup + gzip -6 (FerriteDB script)', baseline, manualGz],
  ['opsbot backup run (dump+gzip+sha256+verify+retention)', runs, size],
  ['opsbot backup verify (sha256+gunzip+integrity_check)', verifies, size],
] as const) {
  const m = median([...xs]);
  console.log(`| ${name} | ${m.toFixed(0)} | ${(dbBytes / 1024 / 1024 / (m / 1000)).toFixed(1)} | ${mb(stored)} |`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });

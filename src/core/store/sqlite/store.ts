/**
 * The embedded store: one SQLite database file (`opsbot.sqlite` under the data directory) in WAL
 * mode with synchronous=NORMAL, shared by the bot and every `opsbot exec` on that directory.
 * Nothing is cached in memory but prepared statements; every compound write is one
 * BEGIN IMMEDIATE transaction, so it is atomic across processes.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Collection, Doc, Store } from '../types.js';
import { systemClock, type Clock } from '../../clock.js';
import { SqliteCollection, type CollectionContext } from './collection.js';
import { migrateNedbFiles, type MigrationLog } from './migrate.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

export const DATABASE_FILE = 'opsbot.sqlite';
const BUSY_TIMEOUT_MS = 5000;
const BUSY_RETRIES = 5;
/**
 * Statistics for the query planner are refreshed this often: with them (sqlite_stat4) it picks
 * the selective index (`state = 'pending'` over `channel = …`); without them it may scan.
 */
const ANALYZE_EVERY_WRITES = 500;

export interface SqliteStoreOptions {
  clock?: Clock;
  /** Where the one-time import of the old nedb files is reported. */
  log?: MigrationLog;
}

export class SqliteStore implements Store {
  readonly kind = 'embedded' as const;
  private readonly collections = new Map<string, SqliteCollection<Doc>>();
  private readonly ctx: CollectionContext;
  private closed = false;
  private writes = 0;
  private nextAnalyze = ANALYZE_EVERY_WRITES;
  private readonly pending: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];

  /**
   * Runs a function in a transaction, or in a savepoint inside one. Made once: better-sqlite3
   * builds four wrapper functions each time `db.transaction()` is called.
   */
  private readonly inTransaction: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;
  /** data_version while a group commit runs (undefined otherwise). */
  private commitVersion: number | undefined;
  private readonly readVersion: () => number;

  private constructor(private readonly db: BetterSqlite3.Database, readonly file: string | null, clock: Clock) {
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    const dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.ctx = {
      db, clock, write: (fn) => this.write(fn),
      // Inside a group commit no other connection can commit (it holds the write lock), so the value read first holds for all of it.
      dataVersion: () => this.commitVersion ?? (dataVersion.get() as number),
    };
    this.readVersion = () => dataVersion.get() as number;
  }

  /** `dir` null keeps the database in memory (tests, one-shot runs that must not touch data). */
  static async open(dir: string | null, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    if (dir) mkdirSync(dir, { recursive: true });
    const file = dir ? path.join(dir, DATABASE_FILE) : null;
    const db = new Database(file ?? ':memory:', { timeout: BUSY_TIMEOUT_MS });
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      if (file) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS opsbot_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS opsbot_ttl (collection TEXT NOT NULL, field TEXT NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (collection, field));
        CREATE TABLE IF NOT EXISTS opsbot_array_fields (collection TEXT NOT NULL, field TEXT NOT NULL, PRIMARY KEY (collection, field));
        CREATE TABLE IF NOT EXISTS opsbot_multikey (collection TEXT NOT NULL, field TEXT NOT NULL, PRIMARY KEY (collection, field))`);
    } catch (e) {
      db.close();
      throw e;
    }
    const clock = options.clock ?? systemClock;
    const store = new SqliteStore(db, file, clock);
    if (dir) await migrateNedbFiles(dir, store, db, clock, options.log);
    store.analyze();
    return store;
  }

  collection<T extends Doc = Doc>(name: string): Collection<T> {
    if (this.closed) throw new Error('store is closed');
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid collection name: ${name}`);
    let c = this.collections.get(name);
    if (!c) {
      c = new SqliteCollection<Doc>(name, this.ctx);
      this.collections.set(name, c);
    }
    return c as unknown as Collection<T>;
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction. Writes asked for in the same turn of the event
   * loop share one transaction (group commit), each in its own savepoint, so one failing rolls
   * back only itself; each settles after the commit. Waits (busy_timeout, then a few retries)
   * while another process writes.
   */
  write<R>(fn: () => R): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (this.db.inTransaction) {
      // Called from inside a write (a TTL sweep during a query): part of that transaction.
      try {
        return Promise.resolve(this.inTransaction(fn) as R);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => { void this.commitPending(); });
    });
  }

  private async commitPending(): Promise<void> {
    const batch = this.pending.splice(0);
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    const runAll = () => {
      outcomes.length = 0;
      this.commitVersion = this.readVersion();
      try {
        for (const w of batch) {
          try {
            outcomes.push({ ok: true, value: this.inTransaction(w.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      } finally {
        this.commitVersion = undefined;
      }
    };
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.closed) throw new Error('store is closed');
        this.inTransaction.immediate(runAll);
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= BUSY_RETRIES) {
          for (const w of batch) w.reject(e);
          return;
        }
        await new Promise((r) => setTimeout(r, 10 * attempt));
      }
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok) w.resolve(o.value);
      else w.reject(o?.error);
    });
    this.writes += batch.length;
    if (this.writes >= this.nextAnalyze) {
      this.nextAnalyze = this.writes + ANALYZE_EVERY_WRITES;
      this.analyze();
    }
  }

  /** A bounded ANALYZE (a few hundred index entries each): milliseconds, and the planner knows the data. */
  private analyze(): void {
    try {
      this.db.pragma('analysis_limit = 1000');
      this.db.exec('ANALYZE');
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e; // another process writes: next time
    }
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    this.db.prepare('SELECT 1').get();
  }

  /** Every commit is already in the WAL (durable across kill -9); this folds the WAL into the file. */
  async flush(): Promise<void> {
    if (this.closed || !this.file) return;
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.pending.length) await new Promise((r) => setImmediate(r));
    await this.flush();
    this.closed = true;
    this.db.close();
  }
}

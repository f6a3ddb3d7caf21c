/**
 * One collection: a table of (id, doc JSON). Reads narrow candidates in SQL and decide in
 * filter.ts; every write that reads first (update, upsert, find-and-modify, delete) runs in one
 * BEGIN IMMEDIATE transaction, so it is atomic across every process on the database file.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { DuplicateKeyError, type Collection, type Doc, type Filter, type FindOptions, type Sort, type Update, type UpdateResult } from '../types.js';
import { newId } from '../../ids.js';
import type { Clock } from '../../clock.js';
import { decodeDoc, encodeDoc, encodeScalar, DATE_LOW } from './json.js';
import { matches } from './filter.js';
import { fieldExpr, ident, orderOf, whereOf } from './sql.js';
import { applyUpdate, checkUpdate, seedOf } from './update.js';
import { ensureMultikey, hasFieldIndex, indexName, multikeyTable } from './multikey.js';

type Row = { rowid: number; id: string; doc: string };
type Db = BetterSqlite3.Database;

/** The primary key of a document: its string `_id`, other ids in a form no string id takes. */
export function idKey(id: unknown): string {
  return typeof id === 'string' ? id : `\u0001J${encodeDoc(id)}`;
}

function mapError(collection: string, e: unknown): never {
  const code = (e as { code?: string })?.code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyError(collection, (e as Error).message);
  throw e;
}

/** How often expired documents of a TTL index are deleted (MongoDB's monitor runs each minute). */
const TTL_SWEEP_MS = 60_000;

export interface CollectionContext {
  db: Db;
  /** Runs `fn` in a BEGIN IMMEDIATE transaction (retried when the file stays busy). */
  write<R>(fn: () => R): Promise<R>;
  /** SQLite's data_version: changes when another connection commits. */
  dataVersion(): number;
  clock: Clock;
}

export class SqliteCollection<T extends Doc> implements Collection<T> {
  private readonly table: string;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private nextSweep = 0;
  private readonly knownArrays = new Set<string>();
  /** Array fields with an element index (multikey.ts), as last read. */
  private readonly multikey = new Set<string>();
  /** data_version when the array fields were read; undefined: read them again. */
  private arraysReadAt: number | undefined;

  constructor(readonly name: string, private readonly ctx: CollectionContext) {
    this.table = ident(`coll_${name}`);
    ctx.db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)`);
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      if (this.statements.size > 256) this.statements.clear();
      s = this.ctx.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * Top-level fields that have held an array in this collection (any process): queries on them
   * match elements too. The list only grows; it is read again whenever another connection
   * committed since (SQLite's data_version) or this one noted a field. It and the rows are read by
   * two statements: a document another process committed in between is one the query may equally
   * well not have seen; inside a write transaction both are one snapshot.
   */
  private arrayFields(): ReadonlySet<string> {
    const version = this.ctx.dataVersion();
    if (version === this.arraysReadAt) return this.knownArrays;
    const rows = this.stmt(`SELECT a.field AS field, m.field IS NOT NULL AS mk FROM opsbot_array_fields a
      LEFT JOIN opsbot_multikey m ON m.collection = a.collection AND m.field = a.field WHERE a.collection = ?`).all(this.name) as { field: string; mk: number }[];
    this.multikey.clear();
    for (const { field, mk } of rows) {
      this.knownArrays.add(field);
      if (mk) this.multikey.add(field);
    }
    this.arraysReadAt = version;
    return this.knownArrays;
  }

  /** The WHERE of a filter, array fields matched on their elements (through their element index where there is one). */
  private whereOf(filter: Filter) {
    const arrays = this.arrayFields();
    return whereOf(filter, arrays, { collection: this.table, table: multikeyTable(this.name), fields: this.multikey });
  }

  /** Inside the write transaction of `doc`: notes its array fields before any query can miss them. */
  private noteArrays(doc: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(doc)) {
      if (!Array.isArray(v) || this.knownArrays.has(k)) continue;
      this.stmt('INSERT OR IGNORE INTO opsbot_array_fields (collection, field) VALUES (?, ?)').run(this.name, k);
      this.knownArrays.add(k);
      this.arraysReadAt = undefined; // read again: in this transaction, or as it ended (committed or rolled back)
      // An indexed field that now holds an array gets its element index (before this row is written: its triggers see it).
      if (hasFieldIndex(this.ctx.db, this.name, k)) ensureMultikey(this.ctx.db, this.name, this.table, k);
    }
  }

  /** Matching rows in sort order, after `skip`, at most `limit`. */
  private select(filter: Filter, options: FindOptions = {}): { row: Row; doc: T }[] {
    this.sweepExpired();
    const where = this.whereOf(filter);
    const skip = options.skip && options.skip > 0 ? options.skip : 0;
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const order = orderOf(options.sort);
    const out: { row: Row; doc: T }[] = [];
    if (where.exact) {
      const page = Number.isFinite(limit) || skip ? ` LIMIT ${Number.isFinite(limit) ? limit : -1} OFFSET ${skip}` : '';
      for (const row of this.stmt(`SELECT rowid, id, doc FROM ${this.table} WHERE ${where.sql} ORDER BY ${order}${page}`).all(...where.params) as Row[]) {
        out.push({ row, doc: decodeDoc<T>(row.doc) });
      }
      return out;
    }
    let skipped = 0;
    for (const row of this.stmt(`SELECT rowid, id, doc FROM ${this.table} WHERE ${where.sql} ORDER BY ${order}`).iterate(...where.params) as IterableIterator<Row>) {
      const doc = decodeDoc<T>(row.doc);
      if (!matches(doc, filter)) continue;
      if (skipped < skip) { skipped++; continue; }
      out.push({ row, doc });
      if (out.length >= limit) break;
    }
    return out;
  }

  private first(filter: Filter, sort?: Sort): { row: Row; doc: T } | undefined {
    return this.select(filter, { ...(sort ? { sort } : {}), limit: 1 })[0];
  }

  private insertRow(doc: Record<string, unknown>): void {
    this.noteArrays(doc);
    try {
      this.stmt(`INSERT INTO ${this.table} (id, doc) VALUES (?, ?)`).run(idKey(doc._id), encodeDoc(doc));
    } catch (e) {
      mapError(this.name, e);
    }
  }

  private rewrite(row: Row, doc: T): boolean {
    const text = encodeDoc(doc);
    if (text === row.doc) return false;
    this.noteArrays(doc as unknown as Record<string, unknown>);
    try {
      this.stmt(`UPDATE ${this.table} SET doc = ? WHERE rowid = ?`).run(text, row.rowid);
    } catch (e) {
      mapError(this.name, e);
    }
    return true;
  }

  async insertOne(doc: Omit<T, '_id'> & { _id?: string }): Promise<T> {
    const full = { ...doc, _id: doc._id ?? newId() } as unknown as T;
    await this.ctx.write(() => this.insertRow(full as unknown as Record<string, unknown>));
    return full;
  }

  async findOne(filter: Filter, options: { sort?: Sort } = {}): Promise<T | null> {
    return this.first(filter, options.sort)?.doc ?? null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    return this.select(filter, options).map((r) => r.doc);
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    this.sweepExpired();
    const where = this.whereOf(filter);
    if (where.exact) return (this.stmt(`SELECT COUNT(*) AS n FROM ${this.table} WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
    let n = 0;
    for (const row of this.stmt(`SELECT doc FROM ${this.table} WHERE ${where.sql}`).iterate(...where.params) as IterableIterator<{ doc: string }>) {
      if (matches(decodeDoc(row.doc), filter)) n++;
    }
    return n;
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    checkUpdate(update);
    return this.ctx.write(() => {
      const hit = this.first(filter);
      if (hit) return { matched: 1, modified: this.rewrite(hit.row, applyUpdate(hit.doc, update, false)) ? 1 : 0 };
      if (!options.upsert) return { matched: 0, modified: 0 };
      const doc = this.upsertDoc(filter, update);
      return { matched: 0, modified: 0, upsertedId: doc._id };
    });
  }

  async updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    checkUpdate(update);
    return this.ctx.write(() => {
      const hits = this.select(filter);
      let modified = 0;
      for (const h of hits) if (this.rewrite(h.row, applyUpdate(h.doc, update, false))) modified++;
      return { matched: hits.length, modified };
    });
  }

  async findOneAndUpdate(
    filter: Filter,
    update: Update,
    options: { upsert?: boolean; returnDocument?: 'before' | 'after'; sort?: Sort } = {},
  ): Promise<T | null> {
    checkUpdate(update);
    return this.ctx.write(() => {
      const hit = this.first(filter, options.sort);
      if (hit) {
        const after = applyUpdate(hit.doc, update, false);
        this.rewrite(hit.row, after);
        return options.returnDocument === 'before' ? hit.doc : after;
      }
      if (!options.upsert) return null;
      const doc = this.upsertDoc(filter, update);
      return options.returnDocument === 'before' ? null : doc;
    });
  }

  deleteOne(filter: Filter): Promise<number> {
    return this.ctx.write(() => {
      const hit = this.first(filter);
      if (!hit) return 0;
      this.stmt(`DELETE FROM ${this.table} WHERE rowid = ?`).run(hit.row.rowid);
      return 1;
    });
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.ctx.write(() => {
      if (Object.keys(filter).length === 0) return this.stmt(`DELETE FROM ${this.table}`).run().changes;
      const hits = this.select(filter);
      const del = this.stmt(`DELETE FROM ${this.table} WHERE rowid = ?`);
      for (const h of hits) del.run(h.row.rowid);
      return hits.length;
    });
  }

  async createIndex(keys: Record<string, 1 | -1>, options: { unique?: boolean; expireAfterSeconds?: number } = {}): Promise<void> {
    await this.ctx.write(() => this.ensureIndex(keys, options));
    this.nextSweep = 0;
  }

  /** Inside a write transaction: an expression index on the JSON fields, and the TTL when asked. */
  ensureIndex(keys: Record<string, 1 | -1>, options: { unique?: boolean; expireAfterSeconds?: number } = {}): void {
    const fields = Object.entries(keys);
    if (fields.length === 0) throw new Error('createIndex needs at least one field');
    const exprs = fields.map(([f, dir]) => {
      const x = f === '_id' ? 'id' : fieldExpr(f);
      if (!x) throw new Error(`cannot index field ${JSON.stringify(f)}`);
      return `${x}${dir === -1 ? ' DESC' : ''}`;
    });
    const name = ident(indexName(this.name, fields));
    if (!(fields.length === 1 && fields[0]?.[0] === '_id')) {
      try {
        this.ctx.db.exec(`CREATE ${options.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON ${this.table} (${exprs.join(', ')})`);
      } catch (e) {
        mapError(this.name, e);
      }
    }
    const only = fields.length === 1 ? fields[0]?.[0] : undefined;
    if (only !== undefined && this.arrayFields().has(only) && ensureMultikey(this.ctx.db, this.name, this.table, only)) this.arraysReadAt = undefined;
    if (options.expireAfterSeconds !== undefined) {
      if (fields.length !== 1) throw new Error('a TTL index (expireAfterSeconds) takes one field');
      this.stmt('INSERT INTO opsbot_ttl (collection, field, seconds) VALUES (?, ?, ?) ON CONFLICT (collection, field) DO UPDATE SET seconds = excluded.seconds')
        .run(this.name, fields[0]?.[0], options.expireAfterSeconds);
    }
  }

  /** Inside a write transaction: puts documents as they are, replacing any with the same id (the nedb import). */
  importDocuments(docs: Iterable<Record<string, unknown>>): number {
    // Delete, then insert (not INSERT OR REPLACE: a replace fires no delete trigger, and element indexes need one).
    const del = this.stmt(`DELETE FROM ${this.table} WHERE id = ?`);
    const put = this.stmt(`INSERT INTO ${this.table} (id, doc) VALUES (?, ?)`);
    let n = 0;
    for (const d of docs) { this.noteArrays(d); del.run(idKey(d._id)); put.run(idKey(d._id), encodeDoc(d)); n++; }
    return n;
  }

  /** Deletes documents whose TTL field (a Date) is older than its index allows, at most once a minute. */
  private sweepExpired(): void {
    const now = this.ctx.clock.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + TTL_SWEEP_MS;
    const ttls = this.stmt('SELECT field, seconds FROM opsbot_ttl WHERE collection = ?').all(this.name) as { field: string; seconds: number }[];
    for (const { field, seconds } of ttls) {
      const x = fieldExpr(field);
      if (!x) continue;
      const cutoff = encodeScalar(new Date(now - seconds * 1000));
      const sql = `DELETE FROM ${this.table} WHERE ${x} >= ? AND ${x} < ?`;
      void this.ctx.write(() => this.stmt(sql).run(DATE_LOW, cutoff)).catch(() => undefined);
    }
  }

  /** Must run inside a write transaction. */
  private upsertDoc(filter: Filter, update: Update): T {
    const seed = seedOf(filter);
    const doc = applyUpdate(seed, update, true);
    if (doc._id === undefined) doc._id = newId();
    this.insertRow(doc);
    return doc as unknown as T;
  }
}

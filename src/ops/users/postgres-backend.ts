/** User directory in a PostgreSQL table: parameterised statements in a transaction, rows locked while changed. */
import type pg from 'pg';
import type * as PgDriver from 'pg';
import { lazyRequire } from '../../core/lazy-require.js';
import type { LockedRule } from '../../config/users-schema.js';
import { displayUrl } from '../connection-url.js';
import { assertColumns, lookupSql, Params, quoteIdent, quoteTable, ruleSql, setSql } from './sql-text.js';
import type { BeforeAfter, ResolvedChange, UserBackend, UserRow } from './types.js';

const pgDriver = lazyRequire<typeof PgDriver>('pg');

export class PostgresUserBackend implements UserBackend {
  readonly kind = 'postgres' as const;
  readonly where: string;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly keyCol: string;
  private readonly columns: string;

  constructor(url: string, table: string, private readonly key: string, private readonly fields: string[], timeoutMs: number) {
    assertColumns([key, ...fields]);
    this.table = quoteTable(table);
    this.keyCol = quoteIdent(key);
    this.columns = [this.keyCol, ...fields.filter((f) => f !== key).map(quoteIdent)].join(', ');
    this.where = `PostgreSQL table ${table} at ${displayUrl(url)}`;
    this.pool = new (pgDriver().Pool)({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'opsbot-users',
    });
    this.pool.on('error', () => undefined); // an idle client dropped by the server; the next query reconnects
  }

  private row(r: Record<string, unknown>): UserRow {
    return { key: r[this.key], fields: Object.fromEntries(this.fields.map((f) => [f, r[f]])) };
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async findBy(lookup: string[], value: string, limit: number): Promise<UserRow[]> {
    const p = new Params('pg');
    const where = lookupSql(lookup, value, p);
    const r = await this.pool.query(`SELECT ${this.columns} FROM ${this.table} WHERE ${where} LIMIT ${p.add(limit)}`, p.values);
    return r.rows.map((x: Record<string, unknown>) => this.row(x));
  }

  async findWhere(rule: LockedRule, limit: number): Promise<{ rows: UserRow[]; total: number }> {
    const p = new Params('pg');
    const where = ruleSql(rule, p);
    const rows = await this.pool.query(`SELECT ${this.columns} FROM ${this.table} WHERE ${where} ORDER BY ${this.keyCol} LIMIT ${p.add(limit)}`, p.values);
    const count = await this.pool.query(`SELECT COUNT(*)::int AS n FROM ${this.table} WHERE ${where}`, p.values.slice(0, -1));
    return { rows: rows.rows.map((x: Record<string, unknown>) => this.row(x)), total: (count.rows[0] as { n: number }).n };
  }

  updateOne(key: unknown, change: ResolvedChange): Promise<BeforeAfter | null> {
    return this.tx(async (c) => {
      const before = await c.query(`SELECT ${this.columns} FROM ${this.table} WHERE ${this.keyCol} = $1 FOR UPDATE`, [key]);
      if (before.rowCount === 0) return null;
      const p = new Params('pg');
      const set = setSql(change, p);
      const after = await c.query(`UPDATE ${this.table} SET ${set} WHERE ${this.keyCol} = ${p.add(key)} RETURNING ${this.columns}`, p.values);
      return { before: this.row(before.rows[0] as Record<string, unknown>), after: this.row(after.rows[0] as Record<string, unknown>) };
    });
  }

  updateWhere(rule: LockedRule, change: ResolvedChange, limit: number): Promise<{ changed: BeforeAfter[]; count: number }> {
    return this.tx(async (c) => {
      const pw = new Params('pg');
      const where = ruleSql(rule, pw);
      const before = await c.query(`SELECT ${this.columns} FROM ${this.table} WHERE ${where} ORDER BY ${this.keyCol} FOR UPDATE`, pw.values);
      const p = new Params('pg');
      const set = setSql(change, p);
      const keys = before.rows.map((r: Record<string, unknown>) => r[this.key]);
      if (keys.length === 0) return { changed: [], count: 0 };
      const after = await c.query(`UPDATE ${this.table} SET ${set} WHERE ${this.keyCol} = ANY(${p.add(keys)}) RETURNING ${this.columns}`, p.values);
      const afterByKey = new Map(after.rows.map((r: Record<string, unknown>) => [String(r[this.key]), r]));
      const changed = before.rows.slice(0, limit).map((b: Record<string, unknown>) => ({
        before: this.row(b),
        after: this.row((afterByKey.get(String(b[this.key])) ?? b) as Record<string, unknown>),
      }));
      return { changed, count: after.rowCount ?? 0 };
    });
  }

  stored(value: unknown): unknown {
    return value;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

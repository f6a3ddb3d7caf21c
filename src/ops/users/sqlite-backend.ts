/** User directory in a SQLite table: parameterised statements in an immediate transaction. */
import Database from 'better-sqlite3';
import type { LockedRule } from '../../config/users-schema.js';
import { assertColumns, lookupSql, Params, quoteIdent, quoteTable, ruleSql, setSql } from './sql-text.js';
import type { BeforeAfter, ResolvedChange, UserBackend, UserRow } from './types.js';

/** SQLite has no booleans or dates: true → 1, a time → ISO text. */
export function toSqlite(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  return v;
}

export class SqliteUserBackend implements UserBackend {
  readonly kind = 'sqlite' as const;
  readonly where: string;
  private readonly table: string;
  private readonly keyCol: string;
  private readonly columns: string;

  constructor(private readonly path: string, table: string, private readonly key: string, private readonly fields: string[], private readonly timeoutMs: number) {
    assertColumns([key, ...fields]);
    this.table = quoteTable(table);
    this.keyCol = quoteIdent(key);
    this.columns = [this.keyCol, ...fields.filter((f) => f !== key).map(quoteIdent)].join(', ');
    this.where = `SQLite table ${table} in ${path}`;
  }

  /** A connection per call: no lock is held between commands; the file must already exist. */
  private with<T>(readonly: boolean, fn: (db: Database.Database) => T): T {
    const db = new Database(this.path, { fileMustExist: true, readonly, timeout: this.timeoutMs });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  private row(r: Record<string, unknown>): UserRow {
    return { key: r[this.key], fields: Object.fromEntries(this.fields.map((f) => [f, r[f]])) };
  }

  async findBy(lookup: string[], value: string, limit: number): Promise<UserRow[]> {
    return this.with(true, (db) => {
      const p = new Params('sqlite', toSqlite);
      const where = lookupSql(lookup, value, p);
      const sql = `SELECT ${this.columns} FROM ${this.table} WHERE ${where} LIMIT ${p.add(limit)}`;
      return (db.prepare(sql).all(...p.values) as Record<string, unknown>[]).map((r) => this.row(r));
    });
  }

  async findWhere(rule: LockedRule, limit: number): Promise<{ rows: UserRow[]; total: number }> {
    return this.with(true, (db) => {
      const p = new Params('sqlite', toSqlite);
      const where = ruleSql(rule, p);
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${this.table} WHERE ${where}`).get(...p.values) as { n: number }).n;
      const rows = db.prepare(`SELECT ${this.columns} FROM ${this.table} WHERE ${where} ORDER BY ${this.keyCol} LIMIT ${p.add(limit)}`).all(...p.values) as Record<string, unknown>[];
      return { rows: rows.map((r) => this.row(r)), total };
    });
  }

  async updateOne(key: unknown, change: ResolvedChange): Promise<BeforeAfter | null> {
    return this.with(false, (db) => db.transaction(() => {
      const select = db.prepare(`SELECT ${this.columns} FROM ${this.table} WHERE ${this.keyCol} = ?`);
      const before = select.get(key) as Record<string, unknown> | undefined;
      if (!before) return null;
      const p = new Params('sqlite', toSqlite);
      const set = setSql(change, p);
      db.prepare(`UPDATE ${this.table} SET ${set} WHERE ${this.keyCol} = ${p.add(key)}`).run(...p.values);
      const after = select.get(key) as Record<string, unknown>;
      return { before: this.row(before), after: this.row(after) };
    }).immediate());
  }

  async updateWhere(rule: LockedRule, change: ResolvedChange, limit: number): Promise<{ changed: BeforeAfter[]; count: number }> {
    return this.with(false, (db) => db.transaction(() => {
      const pw = new Params('sqlite', toSqlite);
      const where = ruleSql(rule, pw);
      const before = db.prepare(`SELECT ${this.columns} FROM ${this.table} WHERE ${where} ORDER BY ${this.keyCol}`).all(...pw.values) as Record<string, unknown>[];
      if (before.length === 0) return { changed: [], count: 0 };
      const p = new Params('sqlite', toSqlite);
      const set = setSql(change, p);
      const update = db.prepare(`UPDATE ${this.table} SET ${set} WHERE ${this.keyCol} = ?`);
      const select = db.prepare(`SELECT ${this.columns} FROM ${this.table} WHERE ${this.keyCol} = ?`);
      let count = 0;
      const changed: BeforeAfter[] = [];
      for (const b of before) {
        count += update.run(...p.values, b[this.key]).changes;
        if (changed.length < limit) changed.push({ before: this.row(b), after: this.row(select.get(b[this.key]) as Record<string, unknown>) });
      }
      return { changed, count };
    }).immediate());
  }

  stored(value: unknown): unknown {
    return toSqlite(value);
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }
}

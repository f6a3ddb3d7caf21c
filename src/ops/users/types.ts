/**
 * The storage side of a user directory: a MongoDB collection or a SQL table behind one small
 * interface. The directory (directory.ts) holds the rules; a backend only reads and writes rows.
 */
import type { LockedRule } from '../../config/users-schema.js';

export interface UserRow {
  /** `_id` of the document or the key column's value: how the row is updated after it was found. */
  key: unknown;
  /** The configured fields only (lookup, show, locked and action fields), never the whole record. */
  fields: Record<string, unknown>;
}

/** What an action writes, `$now` already resolved to a time. Unset fields become NULL in SQL. */
export interface ResolvedChange {
  set: Record<string, unknown>;
  unset: string[];
}

export interface BeforeAfter {
  before: UserRow;
  after: UserRow;
}

export interface UserBackend {
  readonly kind: 'mongodb' | 'postgres' | 'sqlite';
  /** Where the users live, without secrets: `MongoDB collection users`, `PostgreSQL table public.users`. */
  readonly where: string;
  /** Rows whose lookup fields equal `value` exactly (any of them), at most `limit`. */
  findBy(lookup: string[], value: string, limit: number): Promise<UserRow[]>;
  /** Rows matching the rule (at most `limit`) and how many match in all. */
  findWhere(rule: LockedRule, limit: number): Promise<{ rows: UserRow[]; total: number }>;
  /** Changes one row by key, atomically reading it before and after; null if it is gone. */
  updateOne(key: unknown, change: ResolvedChange): Promise<BeforeAfter | null>;
  /** Changes every row matching the rule; before/after of at most `limit` of them and the count changed. */
  updateWhere(rule: LockedRule, change: ResolvedChange, limit: number): Promise<{ changed: BeforeAfter[]; count: number }>;
  /** How a value reads back after being written here (SQLite stores true as 1, dates as text). */
  stored(value: unknown): unknown;
  close(): Promise<void>;
}

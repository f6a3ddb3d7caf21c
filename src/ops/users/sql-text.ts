/**
 * SQL text for the user directory. Only identifiers from the validated config are written into
 * the text (checked again here and double-quoted); every value is a bound parameter.
 */
import { FIELD_NAME, TABLE_NAME, type Condition, type LockedRule } from '../../config/users-schema.js';

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function quoteIdent(name: string): string {
  if (!PLAIN.test(name)) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function quoteTable(name: string): string {
  if (!TABLE_NAME.test(name)) throw new Error(`invalid SQL table name ${JSON.stringify(name)}`);
  return name.split('.').map(quoteIdent).join('.');
}

/** Column names must be plain (no dotted paths in SQL). */
export function assertColumns(names: string[]): void {
  for (const n of names) if (!FIELD_NAME.test(n) || !PLAIN.test(n)) throw new Error(`invalid SQL column ${JSON.stringify(n)} (no dotted paths in SQL)`);
}

/** Collects bound values and hands out placeholders: `$1, $2` (PostgreSQL) or `?` (SQLite). */
export class Params {
  readonly values: unknown[] = [];
  constructor(private readonly style: 'pg' | 'sqlite', private readonly convert: (v: unknown) => unknown = (v) => v) {}
  add(value: unknown): string {
    this.values.push(this.convert(value));
    return this.style === 'pg' ? `$${this.values.length}` : '?';
  }
}

const SQL_OP = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** Same meaning as the MongoDB filter: `ne` also matches NULL (a missing field), `eq null` is IS NULL. */
export function conditionSql(c: Condition, p: Params): string {
  const col = quoteIdent(c.field);
  if (c.value === null) return c.op === 'ne' ? `${col} IS NOT NULL` : c.op === 'eq' ? `${col} IS NULL` : 'FALSE';
  if (c.op === 'eq') return `${col} = ${p.add(c.value)}`;
  if (c.op === 'ne') return `(${col} <> ${p.add(c.value)} OR ${col} IS NULL)`;
  return `${col} ${SQL_OP[c.op]} ${p.add(c.value)}`;
}

export function ruleSql(rule: LockedRule, p: Params): string {
  const [list, joiner] = 'any' in rule ? [rule.any, ' OR '] : [rule.all, ' AND '];
  return `(${list.map((c) => conditionSql(c, p)).join(joiner)})`;
}

export function lookupSql(lookup: string[], value: string, p: Params): string {
  return `(${lookup.map((f) => `${quoteIdent(f)} = ${p.add(value)}`).join(' OR ')})`;
}

export function setSql(change: { set: Record<string, unknown>; unset: string[] }, p: Params): string {
  const parts = Object.entries(change.set).map(([f, v]) => `${quoteIdent(f)} = ${p.add(v)}`);
  for (const f of change.unset) parts.push(`${quoteIdent(f)} = NULL`);
  return parts.join(', ');
}

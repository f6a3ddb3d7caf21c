/**
 * The SQL side of a query: JSON paths of fields (the same text in an index and in a WHERE, so
 * the planner uses the index), and a WHERE that narrows the candidates to a superset of the
 * matches: equality, $in and ranges on top-level fields, on `_id` through the primary key.
 * filter.ts then decides on each candidate, so whatever is not translated is still right.
 */
import { DATE_HIGH, DATE_LOW, encodeScalar } from './json.js';
import { isDate, isOperatorObject } from './values.js';
import type { Filter } from './filter.js';

export interface Where {
  sql: string;
  params: unknown[];
}

/** The SQL literal of a JSON path, `'$."a"."b"'`, or undefined for a path SQL cannot name safely. */
export function jsonPath(path: string): string | undefined {
  const parts = path.split('.');
  if (parts.some((p) => p === '' || /["'\\]/.test(p))) return undefined;
  return `'$.${parts.map((p) => `"${p}"`).join('.')}'`;
}

/** `json_extract(doc, '$."a"."b"')`: one text for an index and a WHERE, so the planner matches them. */
export function fieldExpr(path: string): string | undefined {
  const p = jsonPath(path);
  return p && `json_extract(doc, ${p})`;
}

/** Quotes an SQL identifier (collection and index names are checked before they get here). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

type Scalar = string | number | null;

/** A value SQL compares like MongoDB does (within its type), as bound to a statement. */
function scalar(v: unknown): { ok: true; value: Scalar; type: 'string' | 'number' | 'date' | 'null' } | { ok: false } {
  if (v === null) return { ok: true, value: null, type: 'null' };
  if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: v, type: 'number' };
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0, type: 'number' };
  if (typeof v === 'string') return { ok: true, value: encodeScalar(v) as string, type: 'string' };
  if (isDate(v) && !Number.isNaN(v.getTime())) return { ok: true, value: encodeScalar(v) as string, type: 'date' };
  return { ok: false };
}

/** An array's JSON text starts with '[' (and '\\' follows '[' in ASCII): arrays always pass. */
const ARRAY = (x: string) => `(${x} >= '[' AND ${x} < '\\')`;

export function whereOf(filter: Filter): Where {
  const terms: string[] = [];
  const params: unknown[] = [];
  collect(filter, terms, params);
  return { sql: terms.length ? terms.join(' AND ') : '1', params };
}

function collect(filter: Filter, terms: string[], params: unknown[]): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and') { for (const f of cond as Filter[]) collect(f, terms, params); continue; }
    if (key.startsWith('$')) continue;
    if (key === '_id') { idTerms(cond, terms, params); continue; }
    if (key.includes('.')) continue; // arrays on the way would hide values from json_extract
    const x = fieldExpr(key);
    if (!x) continue;
    const ops: [string, unknown][] = isOperatorObject(cond) ? Object.entries(cond) : [['$eq', cond]];
    for (const [op, arg] of ops) {
      const own: unknown[] = [];
      const t = fieldTerm(x, op, arg, own);
      if (!t) continue;
      // An array matches when an element does: the same term on the elements, in SQL too.
      const each: unknown[] = [];
      const onElements = fieldTerm('value', op, arg, each) as string;
      terms.push(`(${t} OR (${ARRAY(x)} AND EXISTS (SELECT 1 FROM json_each(doc, ${jsonPath(key)}) WHERE ${onElements})))`);
      params.push(...own, ...each);
    }
  }
}

function fieldTerm(x: string, op: string, arg: unknown, params: unknown[]): string | undefined {
  if (op === '$in') {
    const list = (Array.isArray(arg) ? arg : []).map(scalar);
    if (!Array.isArray(arg) || !list.every((s) => s.ok)) return undefined;
    const values = list.map((s) => (s as { value: Scalar }).value);
    const nonNull = values.filter((v) => v !== null);
    const parts: string[] = [];
    if (nonNull.length) { parts.push(`${x} IN (${nonNull.map(() => '?').join(', ')})`); params.push(...nonNull); }
    if (nonNull.length !== values.length) parts.push(`${x} IS NULL`);
    return parts.length ? parts.join(' OR ') : '0';
  }
  const s = scalar(arg);
  if (!s.ok) return undefined;
  if (op === '$eq') {
    if (s.value === null) return `${x} IS NULL`;
    params.push(s.value);
    return `${x} = ?`;
  }
  if (!['$gt', '$gte', '$lt', '$lte'].includes(op) || s.value === null) return undefined;
  const cmp = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op as '$gt'];
  params.push(s.value);
  const upward = op === '$gt' || op === '$gte';
  // Keep to the value's type: numbers sort below all text, dates in [DATE_LOW, DATE_HIGH).
  if (s.type === 'number') return upward ? `(${x} ${cmp} ? AND ${x} < '')` : `${x} ${cmp} ?`;
  if (s.type === 'date') {
    params.push(upward ? DATE_HIGH : DATE_LOW);
    return upward ? `(${x} ${cmp} ? AND ${x} < ?)` : `(${x} ${cmp} ? AND ${x} >= ?)`;
  }
  return upward ? `${x} ${cmp} ?` : `(${x} ${cmp} ? AND ${x} >= '')`;
}

function idTerms(cond: unknown, terms: string[], params: unknown[]): void {
  const ops: [string, unknown][] = isOperatorObject(cond) ? Object.entries(cond) : [['$eq', cond]];
  for (const [op, arg] of ops) {
    if (op === '$eq' && typeof arg === 'string') { terms.push('id = ?'); params.push(arg); }
    if (op === '$in' && Array.isArray(arg) && arg.every((a) => typeof a === 'string')) {
      terms.push(arg.length ? `id IN (${arg.map(() => '?').join(', ')})` : '0');
      params.push(...arg);
    }
  }
}

/** ORDER BY for a sort spec; rows of equal keys follow insertion order in the first key's direction (newest first for -1). */
export function orderOf(sort: Record<string, 1 | -1> | undefined): string {
  const parts: string[] = [];
  for (const [field, dir] of Object.entries(sort ?? {})) {
    const x = field === '_id' ? 'id' : fieldExpr(field);
    if (!x) throw new Error(`cannot sort on field ${JSON.stringify(field)}`);
    parts.push(`${x}${dir === -1 ? ' DESC' : ''}`);
  }
  parts.push(Object.values(sort ?? {})[0] === -1 ? 'rowid DESC' : 'rowid');
  return parts.join(', ');
}

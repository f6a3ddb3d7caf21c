/**
 * The SQL side of a query: JSON paths of fields (the same text in an index and in a WHERE, so
 * the planner uses the index), and a WHERE that narrows the candidates: equality, $in and ranges
 * on top-level fields, `_id` through the primary key. The WHERE never drops a match; it is
 * `exact` when it also lets nothing else through, and then filter.ts need not look at the rows
 * and LIMIT/COUNT run in SQL. A field that has ever held an array in this collection (the
 * collection keeps that list) is matched on its elements too, and is never exact.
 */
import { DATE_HIGH, DATE_LOW, encodeScalar } from './json.js';
import { isDate, isOperatorObject } from './values.js';
import type { Filter } from './filter.js';

export interface Where {
  sql: string;
  params: unknown[];
  /** True when exactly the matching documents pass (no check in JS needed). */
  exact: boolean;
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

type Kind = 'string' | 'number' | 'boolean' | 'date' | 'null';
type Scalar = { value: string | number | null; kind: Kind };

/** A value as SQL sees it in a document (booleans are 1/0 to json_extract). */
function scalar(v: unknown): Scalar | undefined {
  if (v === null) return { value: null, kind: 'null' };
  if (typeof v === 'number' && Number.isFinite(v)) return { value: v, kind: 'number' };
  if (typeof v === 'boolean') return { value: v ? 1 : 0, kind: 'boolean' };
  if (typeof v === 'string') return { value: encodeScalar(v) as string, kind: 'string' };
  if (isDate(v) && !Number.isNaN(v.getTime())) return { value: encodeScalar(v) as string, kind: 'date' };
  return undefined;
}

/**
 * Whether a value's term needs no json_type() check: text that does not begin like JSON text (an
 * array's or object's, which is what json_extract gives for those) equals only a JSON string;
 * an encoded date begins with a marker. The term then needs only the field (an index holds it).
 */
function untyped(s: Scalar): boolean {
  return s.kind === 'date' || (s.kind === 'string' && typeof s.value === 'string' && !/^\s*[[{]/.test(s.value));
}

/** json_type() of a field of each kind: equal SQL values of another JSON type do not match. */
const JSON_TYPES: Record<Exclude<Kind, 'null'>, string> = { number: "IN ('integer', 'real')", boolean: "IN ('true', 'false')", string: "= 'text'", date: "= 'text'" };

/** An array's JSON text starts with '[' (and '\\' follows '[' in ASCII). */
const ARRAY = (x: string) => `(${x} >= '[' AND ${x} < '\\')`;

/** The element indexes of a collection's array fields (multikey.ts): its table and the fields it covers. */
export interface ElementIndex {
  /** The collection's table, and the table of its element index. */
  collection: string;
  table: string;
  fields: ReadonlySet<string>;
}

const NO_ELEMENT_INDEX: ElementIndex = { collection: '', table: '', fields: new Set() };

export function whereOf(filter: Filter, arrayFields: ReadonlySet<string>, elements: ElementIndex = NO_ELEMENT_INDEX): Where {
  const w: Where = { sql: '', params: [], exact: true };
  const terms: string[] = [];
  collect(filter, arrayFields, elements, terms, w);
  w.sql = terms.length ? terms.join(' AND ') : '1';
  return w;
}

function collect(filter: Filter, arrayFields: ReadonlySet<string>, elements: ElementIndex, terms: string[], w: Where): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) { for (const f of cond as Filter[]) collect(f, arrayFields, elements, terms, w); continue; }
    if (key.startsWith('$') || key.includes('.')) { w.exact = false; continue; } // dotted: arrays on the way hide values
    if (key === '_id') { idTerms(cond, terms, w); continue; }
    const path = jsonPath(key);
    if (!path) { w.exact = false; continue; }
    const x = `json_extract(doc, ${path})`;
    const ops: [string, unknown][] = isOperatorObject(cond) ? Object.entries(cond) : [['$eq', cond]];
    for (const [op, arg] of ops) {
      const own: unknown[] = [];
      const t = fieldTerm(x, path, op, arg, own);
      if (!t) { w.exact = false; continue; }
      if (!arrayFields.has(key)) {
        terms.push(t.sql);
        w.params.push(...own);
        if (!t.exact) w.exact = false;
        continue;
      }
      // A field that held arrays: it matches when an element does (filter.ts decides the rest).
      const each: unknown[] = [];
      const onElements = fieldTerm('value', undefined, op, arg, each) as { sql: string };
      if (elements.fields.has(key)) {
        // The element index holds exactly json_each's rows of the field: the same match, by index.
        // Both sides by index (the field's own expression index, the element index), found by primary key.
        terms.push(`id IN (SELECT id FROM ${elements.collection} WHERE ${t.sql} UNION ALL SELECT id FROM ${elements.table} WHERE field = ? AND ${onElements.sql})`);
        w.params.push(...own, key, ...each);
      } else {
        terms.push(`(${t.sql} OR (${ARRAY(x)} AND EXISTS (SELECT 1 FROM json_each(doc, ${path}) WHERE ${onElements.sql})))`);
        w.params.push(...own, ...each);
      }
      w.exact = false;
    }
  }
}

/**
 * Longer IN lists of strings are one JSON array parameter: the same SQL text (one prepared
 * statement, not one per length) for any length. Numbers, and strings with a NUL or a UTF-16
 * surrogate (where JSON text and a bound parameter might not give the same bytes), are listed.
 */
const LONG_IN = 8;

/** `x IN (…)` of `values`, their parameters pushed to `params`. */
function inList(x: string, values: readonly unknown[], params: unknown[]): string {
  if (values.length <= LONG_IN || !values.every((v) => typeof v === 'string' && !v.includes('\0') && !/[\ud800-\udfff]/.test(v))) {
    params.push(...values);
    return `${x} IN (${values.map(() => '?').join(', ')})`;
  }
  params.push(JSON.stringify(values));
  return `${x} IN (SELECT value FROM json_each(?))`;
}

/** One condition on `x`; `path` given, the JSON type is checked too (exactness); `value` of json_each has none. */
function fieldTerm(x: string, path: string | undefined, op: string, arg: unknown, params: unknown[]): { sql: string; exact: boolean } | undefined {
  const typed = (s: Scalar, sql: string) => (path && !untyped(s) ? `(${sql} AND json_type(doc, ${path}) ${JSON_TYPES[s.kind as Exclude<Kind, 'null'>]})` : sql);
  if (op === '$in') {
    if (!Array.isArray(arg)) return undefined;
    const list = arg.map(scalar);
    if (!list.every((s): s is Scalar => s !== undefined)) return undefined;
    // Values that need no type check (all of them for json_each's `value`): one IN list, searched by index.
    const plain = new Set(list.filter((s) => s.value !== null && (!path || untyped(s))));
    const parts: string[] = [];
    if (plain.size) {
      parts.push(inList(x, [...plain].map((s) => s.value), params));
    }
    let exact = ![...plain].some((s) => s.kind === 'boolean'); // `true` and `1` are both 1 to SQL
    for (const s of list) {
      if (plain.has(s)) continue;
      if (s.value === null) { parts.push(`${x} IS NULL`); continue; }
      params.push(s.value);
      parts.push(typed(s, `${x} = ?`));
      if (s.kind === 'boolean') exact = false; // `true` and `1` are both 1 to SQL
    }
    return { sql: parts.length ? `(${parts.join(' OR ')})` : '0', exact };
  }
  const s = scalar(arg);
  if (!s) return undefined;
  if (op === '$eq') {
    if (s.value === null) return { sql: `${x} IS NULL`, exact: true };
    params.push(s.value);
    return { sql: typed(s, `${x} = ?`), exact: true };
  }
  if (!['$gt', '$gte', '$lt', '$lte'].includes(op) || s.value === null || s.kind === 'boolean') return undefined;
  const cmp = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op as '$gt'];
  params.push(s.value);
  const upward = op === '$gt' || op === '$gte';
  // Keep to the value's type: numbers sort below all text, dates within [DATE_LOW, DATE_HIGH).
  if (s.kind === 'number') return { sql: typed(s, upward ? `${x} ${cmp} ? AND ${x} < ''` : `${x} ${cmp} ?`), exact: true };
  if (s.kind === 'date') {
    params.push(upward ? DATE_HIGH : DATE_LOW);
    return { sql: typed(s, upward ? `${x} ${cmp} ? AND ${x} < ?` : `${x} ${cmp} ? AND ${x} >= ?`), exact: true };
  }
  // Strings: dates (encoded as marked text) sort among them, so filter.ts checks.
  return { sql: upward ? `${x} ${cmp} ?` : `(${x} ${cmp} ? AND ${x} >= '')`, exact: false };
}

function idTerms(cond: unknown, terms: string[], w: Where): void {
  const ops: [string, unknown][] = isOperatorObject(cond) ? Object.entries(cond) : [['$eq', cond]];
  for (const [op, arg] of ops) {
    if (op === '$eq' && typeof arg === 'string') { terms.push('id = ?'); w.params.push(arg); continue; }
    if (op === '$in' && Array.isArray(arg) && arg.every((a) => typeof a === 'string')) {
      terms.push(arg.length ? inList('id', arg, w.params) : '0');
      continue;
    }
    w.exact = false;
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

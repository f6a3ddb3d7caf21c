/**
 * MongoDB's query semantics for the supported subset, evaluated on a decoded document:
 * $eq $ne $gt $gte $lt $lte $in $nin $exists $regex (with $options) and $or $and $nor. A field
 * that holds an array matches when the array itself or any element does. This is the one truth
 * about what matches; the SQL that narrows candidates first (sql.ts) only ever returns more.
 */
import { compareSame, deepEqual, isOperatorObject, isRegExp, valuesAt } from './values.js';

export type Filter = Record<string, unknown>;

export function matches(doc: unknown, filter: Filter): boolean {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$or') { if (!(cond as Filter[]).some((f) => matches(doc, f))) return false; continue; }
    if (key === '$and') { if (!(cond as Filter[]).every((f) => matches(doc, f))) return false; continue; }
    if (key === '$nor') { if ((cond as Filter[]).some((f) => matches(doc, f))) return false; continue; }
    if (key.startsWith('$')) throw new Error(`unsupported query operator ${key}`);
    if (!fieldMatches(valuesAt(doc, key), cond)) return false;
  }
  return true;
}

/** The values a condition is tried against: each value reached, and the elements of an array. */
function candidates(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    out.push(v);
    if (Array.isArray(v)) out.push(...v);
  }
  return out;
}

function equalsAny(values: unknown[], expected: unknown): boolean {
  if (expected === null) return values.length === 0 || candidates(values).some((c) => c === null);
  if (isRegExp(expected)) return candidates(values).some((c) => tests(expected, c));
  return candidates(values).some((c) => deepEqual(c, expected));
}

function fieldMatches(values: unknown[], cond: unknown): boolean {
  if (!isOperatorObject(cond)) return equalsAny(values, cond);
  const ops = cond;
  for (const [op, arg] of Object.entries(ops)) {
    switch (op) {
      case '$eq': if (!equalsAny(values, arg)) return false; break;
      case '$ne': if (equalsAny(values, arg)) return false; break;
      case '$in': if (!(arg as unknown[]).some((a) => equalsAny(values, a))) return false; break;
      case '$nin': if ((arg as unknown[]).some((a) => equalsAny(values, a))) return false; break;
      case '$exists': if ((values.length > 0) !== Boolean(arg)) return false; break;
      case '$gt': case '$gte': case '$lt': case '$lte':
        if (!candidates(values).some((c) => ordered(op, compareSame(c, arg)))) return false;
        break;
      case '$regex': {
        const re = isRegExp(arg) ? arg : new RegExp(String(arg), typeof ops.$options === 'string' ? ops.$options : '');
        if (!candidates(values).some((c) => tests(re, c))) return false;
        break;
      }
      case '$options': break;
      default: throw new Error(`unsupported query operator ${op}`);
    }
  }
  return true;
}

function ordered(op: string, c: number | undefined): boolean {
  if (c === undefined) return false;
  return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
}

function tests(re: RegExp, v: unknown): boolean {
  if (typeof v !== 'string') return false;
  re.lastIndex = 0; // a /g or /y pattern keeps its position between calls
  return re.test(v);
}

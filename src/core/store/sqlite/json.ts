/**
 * Documents as JSON text. A Date becomes a string with a marker and its ISO time, so dates
 * round-trip as Date objects and compare (in SQL and in an index) in time order. A string that
 * itself begins with the marker is escaped by doubling it.
 */
import { isDate } from './values.js';

const MARK = '\u0001';
const DATE = `${MARK}D`;

/** The encoded form of one scalar, as stored in the JSON text (and as SQL sees it). */
export function encodeScalar(v: unknown): unknown {
  if (isDate(v)) return Number.isNaN(v.getTime()) ? null : DATE + v.toISOString();
  if (typeof v === 'string' && v.startsWith(MARK)) return MARK + v;
  return v;
}

function decodeString(s: string): unknown {
  if (s.startsWith(DATE)) return new Date(s.slice(DATE.length));
  if (s.startsWith(MARK + MARK)) return s.slice(1);
  return s;
}

/**
 * The value JSON.stringify should write: dates (also inside toJSON results) encoded, marked
 * strings escaped, in a copy (a walk is much faster than a replacer function called per value).
 */
function encodeValue(v: unknown, key: string): unknown {
  if (typeof v === 'string') return v.charCodeAt(0) === 1 ? MARK + v : v;
  if (v === null || typeof v !== 'object') return v;
  if (isDate(v)) return encodeScalar(v);
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encodeValue((toJSON as (k: string) => unknown).call(v, key), key);
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, String(i)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = encodeValue((v as Record<string, unknown>)[k], k);
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

export function encodeDoc(doc: unknown): string {
  return JSON.stringify(encodeValue(doc, ''));
}

/** Decodes the marked strings of a parsed document in place (as a reviver would, without a call per value). */
function decodeValue(v: unknown): unknown {
  if (typeof v === 'string') return v.charCodeAt(0) === 1 ? decodeString(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'object' || (typeof x === 'string' && x.charCodeAt(0) === 1)) v[i] = decodeValue(x);
    }
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (typeof x === 'object') decodeValue(x);
    else if (typeof x === 'string' && x.charCodeAt(0) === 1) {
      if (k === '__proto__') Object.defineProperty(o, k, { value: decodeString(x), enumerable: true, writable: true, configurable: true });
      else o[k] = decodeString(x);
    }
  }
  return o;
}

export function decodeDoc<T>(text: string): T {
  // JSON.stringify writes the marker as the escape \u0001: without one, nothing needs decoding.
  const doc = JSON.parse(text) as unknown;
  return (text.includes('\\u0001') ? decodeValue(doc) : doc) as T;
}

/** SQL range bounds of encoded dates: every date sorts within [DATE_LOW, DATE_HIGH). */
export const DATE_LOW = DATE;
export const DATE_HIGH = `${MARK}E`;

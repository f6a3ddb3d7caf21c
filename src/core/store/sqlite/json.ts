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

export function encodeDoc(doc: unknown): string {
  return JSON.stringify(doc, function replacer(this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (isDate(original)) return encodeScalar(original);
    if (typeof value === 'string' && value.startsWith(MARK)) return MARK + value;
    return value;
  });
}

export function decodeDoc<T>(text: string): T {
  // JSON.stringify writes the marker as the escape \u0001: without one, no reviver is needed.
  if (!text.includes('\\u0001')) return JSON.parse(text) as T;
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? decodeString(v) : v)) as T;
}

/** SQL range bounds of encoded dates: every date sorts within [DATE_LOW, DATE_HIGH). */
export const DATE_LOW = DATE;
export const DATE_HIGH = `${MARK}E`;

/** Comparing and showing field values the same way for MongoDB documents and SQL rows. */

export function getField(doc: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = doc;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Picks the named fields (dotted paths for nested documents) out of a document. */
export function pickFields(doc: Record<string, unknown>, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, getField(doc, n)]));
}

function canonical(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)) return Date.parse(v);
  if (v !== null && typeof v === 'object' && typeof (v as { toHexString?: unknown }).toHexString === 'function') return String(v);
  return v;
}

/** Equal as stored values: missing ≡ null, Date ≡ its ISO text, bigint ≡ number. */
export function sameValue(a: unknown, b: unknown): boolean {
  const x = canonical(a);
  const y = canonical(b);
  if (x === y) return true;
  return JSON.stringify(x) === JSON.stringify(y);
}

/** A value as a person reads it: `(unset)`, `null`, ISO times, JSON for objects; at most 80 characters. */
export function showValue(v: unknown): string {
  let s: string;
  if (v === undefined) s = '(unset)';
  else if (v === null) s = 'null';
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  // Plain words as they are; quoted when a reader could mistake them (empty, spaces, newlines, "null").
  else if (typeof v === 'string') s = /^[^\s"'`]+$/.test(v) && v !== 'null' && v !== '(unset)' ? v : JSON.stringify(v);
  else if (typeof v === 'object' && typeof (v as { toHexString?: unknown }).toHexString === 'function') s = String(v);
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

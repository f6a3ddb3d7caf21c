/** Paths, equality and ordering of document values, as MongoDB defines them for the supported subset. */

export type Plain = Record<string, unknown>;

/** A Date from any realm (jest's sandbox and node's own have different Date constructors). */
export function isDate(v: unknown): v is Date {
  return Object.prototype.toString.call(v) === '[object Date]';
}

export function isRegExp(v: unknown): v is RegExp {
  return Object.prototype.toString.call(v) === '[object RegExp]';
}

/** A deep copy of a document value: objects, arrays and dates are copied, the rest is shared. */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (isDate(v)) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Plain = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = clone(x);
    return out as T;
  }
  return v;
}

export function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isDate(v) && !isRegExp(v);
}

/** True for an object whose keys are query operators (`{ $gt: 1 }`). */
export function isOperatorObject(v: unknown): v is Plain {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/**
 * Every value a dotted path reaches, descending into arrays the way MongoDB does
 * (`tags.name` reaches the `name` of each element of `tags`). Missing paths reach nothing.
 */
export function valuesAt(doc: unknown, path: string): unknown[] {
  return walk(doc, path.split('.'), 0);
}

function walk(v: unknown, parts: string[], i: number): unknown[] {
  if (i === parts.length) return [v];
  const part = parts[i] as string;
  if (Array.isArray(v)) {
    if (/^\d+$/.test(part)) {
      const idx = Number(part);
      return idx < v.length ? walk(v[idx], parts, i + 1) : [];
    }
    return v.flatMap((el) => (isPlainObject(el) || Array.isArray(el) ? walk(el, parts, i) : []));
  }
  if (!isPlainObject(v) || !(part in v)) return [];
  const next = v[part];
  return next === undefined ? [] : walk(next, parts, i + 1);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isDate(a) || isDate(b)) return isDate(a) && isDate(b) && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The type bracket MongoDB compares within: numbers with numbers, strings with strings, dates with dates. */
function bracket(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (isDate(v)) return 'date';
  if (v === null || v === undefined) return 'null';
  return typeof v;
}

/** Order of two values of one bracket; undefined when they are not comparable. */
export function compareSame(a: unknown, b: unknown): number | undefined {
  const ba = bracket(a);
  if (ba !== bracket(b)) return undefined;
  if (ba === 'null') return 0;
  if (ba === 'date') return (a as Date).getTime() - (b as Date).getTime();
  if (ba === 'number') return Number(a) - Number(b);
  if (ba === 'string') return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  if (ba === 'boolean') return Number(a) - Number(b);
  return undefined;
}

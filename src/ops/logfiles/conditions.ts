/** What a `log-count` check counts in a log file: a pattern, and for JSON lines field matches and numeric comparisons. */
import { WHERE } from '../../config/logfiles-schema.js';
import { fieldAt } from './timestamp.js';

export interface LineConditions {
  pattern?: string | undefined;
  ignoreCase?: boolean | undefined;
  match?: Record<string, string | number | boolean | (string | number)[]> | undefined;
  where?: string[] | undefined;
}

type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';
const compare: Record<Op, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b, '>=': (a, b) => a >= b, '<': (a, b) => a < b, '<=': (a, b) => a <= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
};

/** A line as read: its raw text, and its object when the source is JSON and the line parsed. */
export interface ParsedLine {
  text: string;
  json?: Record<string, unknown> | undefined;
}

/** The test a line must pass; compiled once per check. */
export function lineTest(c: LineConditions): (line: ParsedLine) => boolean {
  const pattern = c.pattern ? new RegExp(c.pattern, c.ignoreCase ? 'i' : '') : undefined;
  const matches = Object.entries(c.match ?? {}).map(([field, want]) => {
    const allowed = (Array.isArray(want) ? want : [want]).map(String);
    return (obj: Record<string, unknown>) => {
      const v = fieldAt(obj, field);
      return v !== undefined && v !== null && typeof v !== 'object' && allowed.includes(String(v));
    };
  });
  const wheres = (c.where ?? []).map((w) => {
    const m = WHERE.exec(w) as RegExpExecArray;
    const [field, op, num] = [m[1] as string, m[2] as Op, Number(m[3])];
    return (obj: Record<string, unknown>) => {
      const v = fieldAt(obj, field);
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      return Number.isFinite(n) && compare[op](n, num);
    };
  });
  const needsJson = matches.length + wheres.length > 0;
  return (line) => {
    if (pattern && !pattern.test(line.text)) return false;
    if (!needsJson) return true;
    const obj = line.json;
    if (!obj) return false;
    return matches.every((f) => f(obj)) && wheres.every((f) => f(obj));
  };
}

/** `level=ERROR, duration_ms > 1000, /timeout/i`: the conditions in words. */
export function describeConditions(c: LineConditions): string {
  const parts = [
    ...Object.entries(c.match ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`),
    ...(c.where ?? []).map((w) => w.trim().replace(/\s+/g, ' ')),
    ...(c.pattern ? [`/${c.pattern}/${c.ignoreCase ? 'i' : ''}`] : []),
  ];
  return parts.join(', ');
}

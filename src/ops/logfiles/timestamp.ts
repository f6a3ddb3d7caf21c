/** A log line's time, read as its source declares (`timestamp: { field | regex, format, zone }`). */
import { DateTime } from 'luxon';
import type { LogFileSource } from '../../config/logfiles-schema.js';

export type TimestampConfig = LogFileSource['timestamp'];

/** Parses one time value (a string, or a number for epoch formats) to epoch ms; NaN when it does not parse. */
export function parseTime(value: unknown, ts: Pick<TimestampConfig, 'format' | 'zone'>): number {
  if (value === undefined || value === null) return Number.NaN;
  if (ts.format === 'epoch' || ts.format === 'epoch-ms') {
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isFinite(n)) return Number.NaN;
    return ts.format === 'epoch' ? Math.round(n * 1000) : Math.round(n);
  }
  if (typeof value !== 'string') return Number.NaN;
  const text = value.trim();
  const dt = ts.format === 'iso'
    ? DateTime.fromISO(text.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2'), { zone: ts.zone, setZone: true })
    : DateTime.fromFormat(text, ts.format, { zone: ts.zone, setZone: true });
  return dt.isValid ? dt.toMillis() : Number.NaN;
}

/** Reads the time of a text line by the source's regex (its first group, else the whole match). */
export function textLineTime(line: string, ts: TimestampConfig, re: RegExp): number {
  const m = re.exec(line);
  if (!m) return Number.NaN;
  return parseTime(m[1] ?? m[0], ts);
}

/** The value at a dotted path of a JSON object (`a.b.c`); a key that itself has dots is found too. */
export function fieldAt(obj: unknown, dotted: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const rec = obj as Record<string, unknown>;
  if (dotted in rec) return rec[dotted];
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

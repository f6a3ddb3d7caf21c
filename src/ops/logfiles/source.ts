/**
 * One configured log source read back from its host: its files (the glob and the rotated
 * copies), newest first, each line timed by the source's timestamp rule; a window (`since`) is
 * read from each line's time, and reading stops at the first file written before the window.
 */
import path from 'node:path';
import type { LogFileSource } from '../../config/logfiles-schema.js';
import type { LogLine } from '../docker/index.js';
import type { HostExec } from '../hosts/index.js';
import type { ParsedLine } from './conditions.js';
import { listFolder, readTail, type HostFile } from './host-files.js';
import { fileNameMatcher, isGzipName } from './names.js';
import { fieldAt, parseTime, textLineTime } from './timestamp.js';

export interface FileLogLine extends LogLine, ParsedLine {
  /** The file the line came from. */
  file: string;
}

export interface CollectQuery {
  /** Only lines whose time is at or after this. */
  since?: Date | undefined;
  /** Newest accepted lines to return. */
  keep: number;
  /** Count every accepted line in the window (a check), not just until `keep` are found. */
  countAll?: boolean;
  /** Lines read at most over all files. */
  scanLimit: number;
  accept?: (line: ParsedLine) => boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface CollectResult {
  /** The newest `keep` accepted lines, oldest first. */
  lines: FileLogLine[];
  /** Accepted lines in the window. */
  matched: number;
  /** Lines in the window that were tested. */
  scanned: number;
  /** Lines whose time could not be read (outside any window). */
  untimed: number;
  /** Files read, newest first. */
  files: string[];
  /** Not all of the window could be read (line or byte bound). */
  truncated: boolean;
  notes: string[];
}

const ROTATION = /(?:\.\d{1,4}|-\d{8}(?:\d{2})?)?(?:\.gz)?$/;

/** The live file a rotated copy belongs to (`app.log.2.gz` → `app.log`). */
function baseOf(name: string): string {
  return name.replace(ROTATION, '') || name;
}

function rotationIndex(name: string): number {
  const m = /\.(\d{1,4})(?:\.gz)?$/.exec(name);
  return m ? Number(m[1]) : name.endsWith('.gz') ? 0.5 : 0;
}

export class LogFileReader {
  readonly dir: string;
  readonly glob: string;
  private readonly timeRe: RegExp | undefined;

  constructor(readonly source: LogFileSource, readonly host: HostExec) {
    this.dir = path.posix.dirname(source.path);
    this.glob = path.posix.basename(source.path);
    this.timeRe = source.timestamp.regex ? new RegExp(source.timestamp.regex) : undefined;
  }

  /** `/var/log/ferritedb/*.log (and rotated copies) on this host`, for replies and --dry-run. */
  describe(): string {
    return `${this.source.path}${this.source.rotated ? ' (and rotated copies)' : ''} on ${this.host.describe}`;
  }

  /** The source's files, grouped by live file; each group newest first. */
  async files(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<HostFile[][]> {
    const matcher = fileNameMatcher(this.glob, this.source.rotated);
    const all = (await listFolder(this.host, this.dir, opts)).filter((f) => matcher.matches(f.name));
    const groups = new Map<string, HostFile[]>();
    for (const f of all) {
      const key = this.source.rotated ? baseOf(f.name) : f.name;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    return [...groups.values()].map((g) => g.sort((a, b) => (b.mtimeMs - a.mtimeMs) || (rotationIndex(a.name) - rotationIndex(b.name))));
  }

  /** Times and parses the lines of one file, in order; continuation lines take the time of the line before. */
  parse(file: string, raw: string[]): FileLogLine[] {
    const ts = this.source.timestamp;
    let last = Number.NaN;
    const container = path.posix.basename(file);
    return raw.map((text) => {
      let json: Record<string, unknown> | undefined;
      let time: number;
      if (this.source.json) {
        try {
          const v: unknown = JSON.parse(text);
          if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
        } catch { /* not JSON: a continuation or a stray line */ }
        time = json ? parseTime(fieldAt(json, ts.field as string), ts) : Number.NaN;
      } else {
        time = textLineTime(text, ts, this.timeRe as RegExp);
      }
      if (Number.isNaN(time)) time = last;
      else last = time;
      return { container, stream: 'stdout' as const, time, text, file, ...(json ? { json } : {}) };
    });
  }

  async collect(q: CollectQuery): Promise<CollectResult> {
    const since = q.since?.getTime();
    const res: CollectResult = { lines: [], matched: 0, scanned: 0, untimed: 0, files: [], truncated: false, notes: [] };
    const kept: FileLogLine[][] = [];
    let read = 0;
    for (const group of await this.files(q)) {
      const mine: FileLogLine[] = [];
      let found = 0;
      for (const f of group) {
        // Its last write was before the window: neither it nor the older copies have lines in it.
        if (since !== undefined && f.mtimeMs < since) break;
        const n = Math.min(this.source.maxLines, q.scanLimit - read);
        if (n <= 0) { res.truncated = true; break; }
        const tail = await readTail(this.host, f.path, isGzipName(f.name), n, q);
        read += tail.lines.length;
        res.files.push(f.path);
        if (tail.warning) res.notes.push(`${f.name}: ${tail.warning}`);
        const lines = this.parse(f.path, tail.lines);
        const accepted: FileLogLine[] = [];
        for (const l of lines) {
          if (Number.isNaN(l.time)) { res.untimed++; if (since !== undefined) continue; }
          if (since !== undefined && l.time < since) continue;
          res.scanned++;
          if (q.accept && !q.accept(l)) continue;
          res.matched++;
          accepted.push(l);
        }
        mine.unshift(...accepted.slice(-Math.max(0, q.keep)));
        found += accepted.length;
        const whole = tail.lines.length < n && !tail.truncated;
        const firstTime = lines.find((l) => !Number.isNaN(l.time))?.time;
        const windowGoesOn = since === undefined || firstTime === undefined || firstTime >= since;
        if (!whole) {
          // More lines in this file than were read: the window (or the search) was cut here.
          if (windowGoesOn && (q.countAll || found < q.keep || q.accept)) res.truncated = true;
          break;
        }
        if (!windowGoesOn) break;
        if (!q.countAll && found >= q.keep) break;
      }
      kept.push(mine.slice(-Math.max(0, q.keep)));
    }
    // Several live files: merge by time (stable within each file), keep the newest.
    const merged = kept.length > 1
      ? kept.flat().map((l, i) => [l, i] as const).sort((a, b) => ((a[0].time - b[0].time) || 0) || (a[1] - b[1])).map(([l]) => l)
      : (kept[0] ?? []);
    res.lines = q.keep > 0 ? merged.slice(-q.keep) : [];
    return res;
  }
}

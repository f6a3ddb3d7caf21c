/**
 * Config of log files on disk (README "Service managers and hosts", "Log files"):
 * `targets.<t>.logFiles` lists a target's log sources (a path or a glob in its last part, on this
 * host or an SSH host, each line's timestamp, JSON lines or text), and the file options of the
 * `log-count` check (`files`, `match`, `where`). Paths come from here, never from chat.
 */
import path from 'node:path';
import { z } from 'zod';
import { HOST_NAME } from './services-schema.js';

const validRegex = (v: string) => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
};

/** A source's name: what `logs --file` and a check's `files` use. */
export const LOG_SOURCE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const sourceName = z.string().regex(LOG_SOURCE_NAME, 'A log source name: lower-case letters, digits, ".", "_" and "-"');

/** Glob characters are allowed in the file name only (`/var/log/app/*.log`), never in the folders. */
const GLOB = /[*?[\]]/;
const logPath = z.string().min(2).max(500).superRefine((p, ctx) => {
  if (!path.isAbsolute(p) || p.includes('\0') || [...p].some((ch) => ch.charCodeAt(0) < 0x20)) {
    ctx.addIssue({ code: 'custom', message: 'Must be an absolute path without control characters' });
    return;
  }
  if (path.posix.normalize(p) !== p || p.endsWith('/')) ctx.addIssue({ code: 'custom', message: 'Must be a normalized path to a file (no "..", "//" or trailing "/")' });
  if (GLOB.test(path.posix.dirname(p))) ctx.addIssue({ code: 'custom', message: 'Wildcards (*, ?, [ ]) are allowed in the file name only, not in the folders' });
});

/** Lines' timestamps: a JSON field or a regex capture, in a format. */
export const logTimestampSchema = z.object({
  /** JSON mode: the dotted path of the field holding the time (`timestamp`, `ts`, `time.iso`). */
  field: z.string().min(1).max(100).optional(),
  /** Text mode: a regular expression whose first group (or whole match) is the time. */
  regex: z.string().min(1).max(300).refine(validRegex, 'Not a valid regular expression').optional(),
  /** `iso` (ISO 8601), `epoch` (seconds), `epoch-ms`, or a Luxon format such as `yyyy-MM-dd HH:mm:ss` or `MMM d HH:mm:ss`. */
  format: z.string().min(1).max(60).default('iso'),
  /** Zone of times that carry none (IANA name or `UTC`). */
  zone: z.string().min(1).max(60).default('UTC'),
}).strict().superRefine((t, ctx) => {
  if (!!t.field === !!t.regex) ctx.addIssue({ code: 'custom', message: 'Give either field (JSON lines) or regex (text lines)' });
});

/** `targets.<t>.logFiles[]`: one log source. */
export const logFileSourceSchema = z.object({
  /** Default: the path. */
  name: sourceName.optional(),
  /** An absolute path; `*`, `?` and `[...]` may appear in the file name: `/var/log/ferritedb/*.log`. */
  path: logPath,
  /** A host of `hosts:` (default: the bot's own host). */
  host: z.string().regex(HOST_NAME, 'A host name of hosts:').optional(),
  /** Each line is a JSON object (structured logs). */
  json: z.boolean().default(false),
  timestamp: logTimestampSchema,
  /** Also read rotated files: `app.log.1`, `app.log.2.gz`, `app.log-20260101.gz`. */
  rotated: z.boolean().default(true),
  /** Lines read at most from the end of one file. */
  maxLines: z.coerce.number().int().min(100).max(1_000_000).default(200_000),
}).strict().superRefine((s, ctx) => {
  if (s.json && s.timestamp.regex) ctx.addIssue({ code: 'custom', path: ['timestamp', 'regex'], message: 'JSON lines take their time from a field: use timestamp.field' });
  if (!s.json && s.timestamp.field) ctx.addIssue({ code: 'custom', path: ['timestamp', 'field'], message: 'timestamp.field reads JSON lines: set json: true, or use timestamp.regex' });
}).transform((s) => ({ ...s, name: s.name ?? s.path }));
export type LogFileSource = z.output<typeof logFileSourceSchema>;

export const logFilesSchema = z.array(logFileSourceSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `Two log sources are named "${s.name}": give each a distinct name` });
    seen.add(s.name);
  });
}).optional();

/** `duration_ms > 1000`: a numeric comparison on a JSON field. */
export const WHERE = /^\s*([A-Za-z0-9_.@-]{1,100})\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** The options the `log-count` check takes for log files (spread into its schema). */
export const logFileCountShape = {
  /** Count lines of this log source of the target (its `logFiles` name) instead of its container's log. */
  files: z.string().min(1).max(500).optional(),
  /** JSON sources: fields that must equal a value (or one of a list): `{ level: ERROR }`. */
  match: z.record(z.string().min(1).max(100), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])).min(1)])).optional(),
  /** JSON sources: numeric comparisons that must all hold: `["duration_ms > 1000"]`. */
  where: z.array(z.string().regex(WHERE, 'A comparison like "duration_ms > 1000" (field, one of > >= < <= == !=, a number)')).optional(),
};

interface CountCheck { files?: string | undefined; pattern?: string | undefined; match?: unknown; where?: unknown; name?: string | undefined; service?: string | undefined; stream?: string }

/** A `log-count` check counts a pattern, or (with `files`) a pattern and/or JSON conditions. */
export function checkLogCountFields(c: CountCheck, ctx: z.RefinementCtx): void {
  if (!c.files) {
    if (c.match || c.where) ctx.addIssue({ code: 'custom', path: ['files'], message: 'match and where apply to JSON log files: give files (a logFiles source of the target)' });
    if (!c.pattern) ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'Give the pattern to count' });
    return;
  }
  if (c.name || c.service) ctx.addIssue({ code: 'custom', path: ['files'], message: 'A check counts either a container\'s log (name/service) or log files (files), not both' });
  if (!c.pattern && !c.match && !c.where) ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'Give a pattern, match or where to count' });
}

/** Each `files` of a log-count check names a log source of its target; JSON conditions need a JSON source; hosts exist. */
export function checkLogFileRefs(
  cfg: { hosts: Record<string, unknown>; targets: Record<string, { logFiles?: LogFileSource[] | undefined; health: Record<string, unknown>[] }> },
  ctx: z.RefinementCtx,
): void {
  for (const [target, t] of Object.entries(cfg.targets)) {
    const logFiles = t.logFiles ?? [];
    logFiles.forEach((s, i) => {
      if (s.host && !cfg.hosts[s.host]) ctx.addIssue({ code: 'custom', path: ['targets', target, 'logFiles', i, 'host'], message: `Unknown host "${s.host}" (hosts: ${Object.keys(cfg.hosts).join(', ') || 'none; add a hosts: section'})` });
    });
    t.health.forEach((check, i) => {
      const c = check['log-count'] as CountCheck | undefined;
      if (!c?.files) return;
      const source = logFiles.find((s) => s.name === c.files);
      const at = ['targets', target, 'health', i, 'log-count', 'files'];
      if (!source) {
        ctx.addIssue({ code: 'custom', path: at, message: `Target "${target}" has no log source "${c.files}" (logFiles: ${logFiles.map((s) => s.name).join(', ') || 'none'})` });
        return;
      }
      if ((c.match || c.where) && !source.json) ctx.addIssue({ code: 'custom', path: at, message: `match and where read JSON lines, and log source "${source.name}" is not json: true` });
    });
  }
}

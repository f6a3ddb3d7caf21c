/** `logs <target> [--lines N] [--grep TEXT] [--since DURATION] [--file NAME]`: recent log lines of a target's containers, service or log files. */
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import { defineCommand } from '../../core/command.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { UserError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { fields, type Reply } from '../../core/reply.js';
import { describeSelector, type DockerService, type LogLine } from '../../ops/docker/index.js';
import type { ServiceManager } from '../../ops/services/index.js';
import type { LogFiles } from '../../ops/logfiles/index.js';
import { fileLogs, FILE_SOURCE_NAME, usesLogFiles } from './log-files.js';
import { containerTarget, selectorOf, targetArg } from './config.js';
import { renderLogLines } from './log-text.js';
import { hostServiceOf, type ServiceAccess } from './services.js';
import { resolveTarget } from '../targets.js';

/** Lines scanned at most when `--grep` filters (Docker's tail is applied before our filter). */
export const GREP_SCAN_LINES = 50_000;
const MAX_SINCE_MS = 30 * 86_400_000;
/** Lines of a service's log searched at most by `--grep` (journalctl -n, tail -n). */
const SERVICE_GREP_SCAN_LINES = 10_000;

export function logsCommand(deps: { targets: Config['targets']; docker: DockerService; redactor: Redactor; services?: ServiceAccess | undefined; logFiles?: LogFiles | undefined }) {
  const { docker, redactor } = deps;
  const managerOf = (name: string) => {
    const [target, t] = resolveTarget(deps.targets, name);
    const m = hostServiceOf(t);
    if (!m) return undefined;
    if (!deps.services) throw new UserError('unavailable', `${target} runs under ${m.kind}, but service managers are not available in this process`);
    return { target, manager: deps.services.managerOf(target) };
  };
  const logFilesOf = (): LogFiles => {
    if (!deps.logFiles) throw new UserError('unavailable', 'log files are not available in this process');
    return deps.logFiles;
  };
  return defineCommand({
    name: 'logs',
    summary: "Recent log lines of a target's containers (stdout and stderr), secrets redacted",
    params: [
      { name: 'target', kind: 'positional', type: 'string', description: 'Target name', required: true, complete: 'target' },
      { name: 'lines', kind: 'flag', type: 'number', description: 'How many lines (default 50, at most 1000)', placeholder: 'N' },
      { name: 'grep', kind: 'flag', type: 'string', description: 'Only lines containing this text (case-insensitive, plain text)', placeholder: 'TEXT' },
      { name: 'since', kind: 'flag', type: 'string', description: 'Only lines newer than this: 30m, 2h, 1d', placeholder: 'DURATION' },
      { name: 'file', kind: 'flag', type: 'string', description: 'A log file source of the target (its logFiles name)', placeholder: 'NAME' },
    ],
    schema: z.object({
      target: targetArg,
      lines: z.coerce.number().int().min(1).max(1000).default(50),
      grep: z.string().min(1).max(200).optional(),
      since: z.string().max(20).optional().transform((v, ctx) => {
        if (v === undefined) return undefined;
        const ms = parseDuration(v);
        if (ms === undefined || ms <= 0 || ms > MAX_SINCE_MS) {
          ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration up to 30d (use e.g. 30m, 2h, 1d)` });
          return z.NEVER;
        }
        return ms;
      }),
      file: FILE_SOURCE_NAME.optional(),
    }),
    risk: 'read',
    targetOf: (a) => a.target,
    describe: (a) => {
      const [fileTarget, ft] = resolveTarget(deps.targets, a.target);
      if (usesLogFiles(ft, a.file)) {
        return `read the last ${a.lines} lines of ${logFilesOf().reader(fileTarget, a.file).describe()} (${fileTarget})${a.since ? ` from the last ${formatDuration(a.since)}` : ''}`
          + `${a.grep ? ` containing "${a.grep}" (plain text, case-insensitive)` : ''}; nothing is changed`;
      }
      const svc = managerOf(a.target);
      if (svc) {
        return `read the last ${a.lines} log lines of ${svc.manager.describe()} (${svc.target})${a.since ? ` from the last ${formatDuration(a.since)}` : ''}`
          + `${a.grep ? ` containing "${a.grep}" (plain text, case-insensitive)` : ''}; nothing is changed`;
      }
      const [target, , c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      return `read the last ${a.lines} log lines (stdout and stderr) of ${describeSelector(sel)} of ${target} on ${docker.hostOf(sel)}`
        + `${a.since ? ` from the last ${formatDuration(a.since)}` : ''}${a.grep ? ` containing "${a.grep}" (plain text, case-insensitive)` : ''}; nothing is changed`;
    },
    async run(ctx, a): Promise<Reply> {
      const [fileTarget, ft] = resolveTarget(deps.targets, a.target);
      if (usesLogFiles(ft, a.file)) return fileLogs(fileTarget, logFilesOf().reader(fileTarget, a.file), a, redactor, ctx.signal);
      const svc = managerOf(a.target);
      if (svc) return serviceLogs(svc.target, svc.manager, a, ctx.signal);
      const [target, , c] = containerTarget(deps.targets, a.target);
      const sel = selectorOf(c);
      const containers = await docker.list(sel, ctx.signal);
      if (containers.length === 0) throw new UserError('not_found', `No container found for ${describeSelector(sel)} on ${docker.hostOf(sel)}.`);
      const since = a.since ? new Date(Date.now() - a.since) : undefined;
      const needle = a.grep?.toLowerCase();
      const kept: LogLine[] = [];
      let matched = 0;
      let scanned = 0;
      let truncated = false;
      for (const ct of containers) {
        const mine: LogLine[] = [];
        const res = await docker.readLogs(sel, ct, {
          ...(since ? { since } : {}),
          tail: needle ? GREP_SCAN_LINES : a.lines,
          signal: ctx.signal,
        }, (line) => {
          if (since && line.time < since.getTime()) return;
          scanned++;
          if (needle && !line.text.toLowerCase().includes(needle)) return;
          matched++;
          mine.push(line);
          if (mine.length > a.lines) mine.shift();
        });
        truncated ||= res.truncated;
        kept.push(...mine);
      }
      // Several containers: merge by time, keep the newest N overall.
      const ordered = containers.length > 1 ? kept.map((l, i) => [l, i] as const).sort((x, y) => (x[0].time - y[0].time) || (x[1] - y[1])).map(([l]) => l) : kept;
      const lines = ordered.slice(-a.lines);
      const multi = containers.length > 1;
      const rendered = renderLogLines(lines, redactor, { multi });
      const notShown = matched - rendered.shown;
      const filters = [a.since ? `last ${formatDuration(a.since)}` : undefined, a.grep ? `containing "${redactor.text(a.grep)}"` : undefined].filter(Boolean).join(', ');
      const summary = needle
        ? `${matched} matching line${matched === 1 ? '' : 's'} of ${scanned} scanned${scanned >= GREP_SCAN_LINES * containers.length ? ` (only the last ${GREP_SCAN_LINES} lines of each container are searched)` : ''}`
        : `${rendered.shown} line${rendered.shown === 1 ? '' : 's'}`;
      return {
        title: `Logs: ${target}${filters ? ` (${filters})` : ''}`,
        status: 'info',
        blocks: [
          fields({ Containers: containers.map((x) => x.name).join(', '), Lines: summary }),
          ...(rendered.shown ? [{ type: 'code' as const, text: rendered.text, keep: 'end' as const }] : [{ type: 'text' as const, text: 'No log lines match.' }]),
          ...(notShown > 0 ? [{ type: 'text' as const, text: `${notShown} earlier line${notShown === 1 ? '' : 's'} not shown (use --lines, --grep or --since to narrow).` }] : []),
          ...(truncated ? [{ type: 'text' as const, text: 'The log was too large to read completely; only its first part was searched.' }] : []),
        ],
        visibility: 'ephemeral',
      };
    },
  });

  /** A service's logs (journal, pm2 log files, supervisor's tail), filtered the same way. */
  async function serviceLogs(target: string, manager: ServiceManager, a: { lines: number; grep?: string | undefined; since?: number | undefined }, signal: AbortSignal): Promise<Reply> {
    const since = a.since ? new Date(Date.now() - a.since) : undefined;
    const needle = a.grep?.toLowerCase();
    const read = await manager.logs({ tail: needle ? SERVICE_GREP_SCAN_LINES : a.lines, ...(since ? { since } : {}), signal });
    const scanned = read.filter((l) => !(since && l.time < since.getTime()));
    const matched = needle ? scanned.filter((l) => l.text.toLowerCase().includes(needle)) : scanned;
    const ordered = matched.map((l, i) => [l, i] as const).sort((x, y) => ((x[0].time - y[0].time) || 0) || (x[1] - y[1])).map(([l]) => l);
    const lines = ordered.slice(-a.lines);
    const rendered = renderLogLines(lines, redactor, { multi: new Set(lines.map((l) => `${l.container}`)).size > 1 });
    const notShown = matched.length - rendered.shown;
    const filters = [a.since ? `last ${formatDuration(a.since)}` : undefined, a.grep ? `containing "${redactor.text(a.grep)}"` : undefined].filter(Boolean).join(', ');
    return {
      title: `Logs: ${target}${filters ? ` (${filters})` : ''}`,
      status: 'info',
      blocks: [
        fields({ Service: manager.describe(), Lines: needle ? `${matched.length} matching line${matched.length === 1 ? '' : 's'} of ${scanned.length} scanned` : `${rendered.shown} line${rendered.shown === 1 ? '' : 's'}` }),
        ...(rendered.shown ? [{ type: 'code' as const, text: rendered.text, keep: 'end' as const }] : [{ type: 'text' as const, text: 'No log lines match.' }]),
        ...(notShown > 0 ? [{ type: 'text' as const, text: `${notShown} earlier line${notShown === 1 ? '' : 's'} not shown (use --lines, --grep or --since to narrow).` }] : []),
      ],
      visibility: 'ephemeral',
    };
  }
}

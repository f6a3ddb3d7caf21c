/** `logs <target> --file NAME` (or a target whose only logs are files): the newest lines of a configured log source. */
import { z } from 'zod';
import type { TargetConfig } from '../../config/schema.js';
import { LOG_SOURCE_NAME } from '../../config/logfiles-schema.js';
import { formatDuration } from '../../core/duration.js';
import type { Redactor } from '../../core/redact.js';
import { fields, type Reply } from '../../core/reply.js';
import type { LogFileReader } from '../../ops/logfiles/index.js';
import { renderLogLines } from './log-text.js';

/** A source is named in chat by its config name only; a path typed in chat never reaches the host. */
export const FILE_SOURCE_NAME = z.string().max(500).refine((v) => LOG_SOURCE_NAME.test(v) || v.startsWith('/'), 'Give a log source name of the target (see its logFiles)');

/** Lines of the newest files searched at most by `--grep` or `--since`. */
export const FILE_SCAN_LINES = 200_000;
/** Longest one `logs` read of files may take. */
const READ_TIMEOUT_MS = 30_000;

/** `--file` was given, or the target has log files and neither a container nor a service manager. */
export function usesLogFiles(t: TargetConfig, file: string | undefined): boolean {
  if (file !== undefined) return true;
  return !!t.logFiles?.length && !t.container && !t.manager;
}

export async function fileLogs(
  target: string,
  reader: LogFileReader,
  a: { lines: number; grep?: string | undefined; since?: number | undefined },
  redactor: Redactor,
  signal: AbortSignal,
): Promise<Reply> {
  const since = a.since ? new Date(Date.now() - a.since) : undefined;
  const needle = a.grep?.toLowerCase();
  const r = await reader.collect({
    since, keep: a.lines, scanLimit: needle || since ? FILE_SCAN_LINES : a.lines * 4 + 100,
    ...(needle ? { accept: (l: { text: string }) => l.text.toLowerCase().includes(needle) } : {}),
    timeoutMs: READ_TIMEOUT_MS, signal,
  });
  const rendered = renderLogLines(r.lines, redactor, { multi: new Set(r.lines.map((l) => l.container)).size > 1 });
  const notShown = r.matched - rendered.shown;
  const filters = [a.since ? `last ${formatDuration(a.since)}` : undefined, a.grep ? `containing "${redactor.text(a.grep)}"` : undefined].filter(Boolean).join(', ');
  return {
    title: `Logs: ${target}${filters ? ` (${filters})` : ''}`,
    status: 'info',
    blocks: [
      fields({
        Files: r.files.length ? r.files.join(', ') : `none found for ${reader.source.path}`,
        Host: reader.host.describe,
        Lines: needle ? `${r.matched} matching line${r.matched === 1 ? '' : 's'} of ${r.scanned} scanned` : `${rendered.shown} line${rendered.shown === 1 ? '' : 's'}`,
      }),
      ...(rendered.shown ? [{ type: 'code' as const, text: rendered.text, keep: 'end' as const }] : [{ type: 'text' as const, text: 'No log lines match.' }]),
      ...(notShown > 0 ? [{ type: 'text' as const, text: `${notShown} earlier line${notShown === 1 ? '' : 's'} not shown (use --lines, --grep or --since to narrow).` }] : []),
      ...(r.truncated && (needle || since) ? [{ type: 'text' as const, text: `Only the newest ${FILE_SCAN_LINES} lines were searched.` }] : []),
      ...r.notes.map((n) => ({ type: 'text' as const, text: redactor.text(n) })),
    ],
    visibility: 'ephemeral',
  };
}

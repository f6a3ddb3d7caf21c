/**
 * `log-count` over log files (`files:` names a log source of the target): lines in the window,
 * by each line's own timestamp, that match the pattern and (JSON lines) the field matches and
 * numeric comparisons, against thresholds. Rotated and gzipped copies are read as needed.
 */
import type { z } from 'zod';
import type { logCountProbeSchema } from '../../config/schema.js';
import { systemClock } from '../../core/clock.js';
import { formatDuration } from '../../core/duration.js';
import { isUserError } from '../../core/errors.js';
import { describeConditions, lineTest } from '../logfiles/index.js';
import { thresholdStatus, type Probe } from './types.js';

type LogCountProbeConfig = z.infer<typeof logCountProbeSchema>;

/** Lines one check reads at most over all the files of its source. */
export const LOG_FILE_SCAN_LINES = 2_000_000;

export const logFileCountProbe: Probe<LogCountProbeConfig> = async (cfg, ctx) => {
  const logFiles = ctx.services?.logFiles;
  if (!logFiles) return { status: 'fail', detail: 'log files are not available to health checks in this process' };
  if (!ctx.target) return { status: 'fail', detail: 'a log-count check of files needs its target' };
  const since = new Date(((ctx.services?.clock ?? systemClock).now()) - cfg.window);
  let result;
  let where;
  try {
    const reader = logFiles.reader(ctx.target, cfg.files);
    where = reader.describe();
    result = await reader.collect({ since, keep: 0, countAll: true, scanLimit: LOG_FILE_SCAN_LINES, accept: lineTest(cfg), timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  } catch (e) {
    return { status: 'fail', detail: isUserError(e) ? e.message : (e as Error).message };
  }
  const { matched: count, scanned } = result;
  const status = thresholdStatus(count, cfg.failAt, cfg.warnAt);
  const limits = `${cfg.warnAt !== undefined ? `warn at ${cfg.warnAt}, ` : ''}fail at ${cfg.failAt}`;
  const notes = [
    result.files.length === 0 ? 'no file in the window' : `${result.files.length} file${result.files.length === 1 ? '' : 's'} read`,
    ...(result.truncated ? ['window larger than the read bound: counted its newest part'] : []),
    ...result.notes,
  ];
  return {
    status,
    detail: `${count} line${count === 1 ? '' : 's'} with ${describeConditions(cfg)} in the last ${formatDuration(cfg.window)} of ${scanned} in ${where} (${limits}; ${notes.join('; ')})`,
    data: { count, scanned, files: result.files.length, untimed: result.untimed },
  };
};

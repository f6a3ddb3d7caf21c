/** Running a manager's command on its host: failures become UserErrors that say what ran where. */
import { UserError, isUserError } from '../../core/errors.js';
import { failureText, type ExecResult, type HostExec } from '../hosts/index.js';

export interface ManagerCommand {
  host: HostExec;
  timeoutMs: number;
}

/** Runs argv; a timeout or a missing program is an error, a non-zero exit is returned for the caller to judge. */
export async function runTool(c: ManagerCommand, argv: string[], signal?: AbortSignal, maxBytes?: number): Promise<ExecResult> {
  let r: ExecResult;
  try {
    r = await c.host.exec(argv, { timeoutMs: c.timeoutMs, ...(signal ? { signal } : {}), ...(maxBytes ? { maxBytes } : {}) });
  } catch (e) {
    if (isUserError(e)) throw e;
    const err = e as Error & { code?: string; kind?: string };
    if (err.name === 'AbortError') throw new UserError('timeout', `${argv[0]} on ${c.host.host} was cancelled`);
    throw new UserError('unavailable', err.name === 'SshError' ? err.message : `${argv[0]} on ${c.host.host}: ${err.message}`);
  }
  if (r.timedOut) throw new UserError('timeout', `${argv.join(' ')} on ${c.host.host} did not finish within ${Math.round(c.timeoutMs / 1000)}s`);
  return r;
}

/** Runs argv and requires exit code 0. */
export async function runOk(c: ManagerCommand, argv: string[], signal?: AbortSignal): Promise<ExecResult> {
  const r = await runTool(c, argv, signal);
  if (r.code !== 0) throw new UserError('failed', `${failureText(argv, r)} (on ${c.host.host})`);
  return r;
}

/** A leading ISO-8601 timestamp of a log line (pm2 --time, most loggers), in ms; NaN when there is none. */
export function leadingTime(line: string): { time: number; text: string } {
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?):?\s/.exec(line);
  if (!m) return { time: Number.NaN, text: line };
  const t = Date.parse((m[1] as string).replace(' ', 'T'));
  return Number.isNaN(t) ? { time: Number.NaN, text: line } : { time: t, text: line.slice(m[0].length) };
}

export function lastLines(text: string, n: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

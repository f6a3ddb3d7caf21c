/**
 * Log files on a host, through HostExec (this host's execFile, or SSH with each argument quoted):
 * the files of a folder with their modification times, and the last N lines of one file (gzip
 * decompressed on the host). Every command is a fixed program with the paths as argument data.
 */
import { UserError, isUserError } from '../../core/errors.js';
import { failureText, type ExecOptions, type ExecResult, type HostExec } from '../hosts/index.js';

export interface HostFile {
  /** The file name inside its folder. */
  name: string;
  path: string;
  mtimeMs: number;
  size: number;
}

export interface TailRead {
  lines: string[];
  /** The output was cut at the byte bound: the newest lines are missing. */
  truncated: boolean;
  /** What the decompressor said (a truncated .gz still being written, say). */
  warning?: string;
}

/** Bytes of one file's tail read at most. */
export const TAIL_MAX_BYTES = 64 * 1024 * 1024;

/** `sh -c` with a constant script; the file and the count are its positional parameters ("$1", "$2"), never part of the script. */
const GZIP_TAIL = 'gzip -dc -- "$1" | tail -n "$2"';

/** Runs argv on the host; what the connection throws (a refused host key, a missing program) becomes a UserError that says where. */
async function run(exec: HostExec, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  try {
    return await exec.exec(argv, opts);
  } catch (e) {
    if (isUserError(e)) throw e;
    const err = e as Error;
    if (err.name === 'AbortError') throw new UserError('timeout', `${argv[0]} on ${exec.host} was cancelled`);
    throw new UserError('unavailable', err.name === 'SshError' ? err.message : `${argv[0]} on ${exec.host}: ${err.message}`);
  }
}

export async function listFolder(exec: HostExec, dir: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<HostFile[]> {
  const argv = ['find', dir, '-mindepth', '1', '-maxdepth', '1', '-type', 'f', '-printf', '%T@ %s %f\\0'];
  const r = await run(exec, argv, { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (r.code !== 0) {
    if (/No such file or directory/.test(r.stderr)) return [];
    throw new UserError(r.timedOut ? 'timeout' : 'failed', `cannot list ${dir} on ${exec.describe}: ${failureText(argv, r)}`);
  }
  const out: HostFile[] = [];
  for (const entry of r.stdout.split('\0')) {
    const m = /^(\d+(?:\.\d+)?) (\d+) ([^/]+)$/s.exec(entry);
    if (!m) continue;
    const name = m[3] as string;
    out.push({ name, path: `${dir === '/' ? '' : dir}/${name}`, mtimeMs: Math.round(Number(m[1]) * 1000), size: Number(m[2]) });
  }
  return out;
}

export async function readTail(exec: HostExec, file: string, gzip: boolean, lines: number, opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number }): Promise<TailRead> {
  const argv = gzip ? ['sh', '-c', GZIP_TAIL, 'opsbot-logs', file, String(lines)] : ['tail', '-n', String(lines), '--', file];
  const r = await run(exec, argv, { timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes ?? TAIL_MAX_BYTES, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (r.timedOut) throw new UserError('timeout', `reading ${file} on ${exec.describe} timed out`);
  if (r.code !== 0 && !r.truncated) throw new UserError('failed', `cannot read ${file} on ${exec.describe}: ${failureText(argv, r)}`);
  const parts = r.stdout.split('\n');
  // The last element is "" after a final newline, or a line cut by the byte bound.
  parts.pop();
  const warning = gzip && r.stderr.trim() ? r.stderr.trim().split('\n')[0] : undefined;
  return { lines: parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), truncated: r.truncated, ...(warning ? { warning } : {}) };
}

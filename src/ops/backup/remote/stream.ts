/** Commands of remote backup engines: run on the job's host, their stdout streamed into a local file or a local file streamed to their stdin. */
import { createReadStream, createWriteStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { UserError } from '../../../core/errors.js';
import { failureText, type ExecResult, type HostExec } from '../../hosts/index.js';
import type { EngineContext } from '../types.js';

function fail(host: HostExec, argv: readonly string[], r: ExecResult, what: string): never {
  if (r.timedOut) throw new UserError('timeout', `${what} on ${host.host}: ${argv[0]} timed out and was stopped`);
  throw new UserError('failed', `${what} on ${host.host}: ${failureText(argv, r)}`);
}

/** A UserError naming the host and the tool (`argv`, as shown) unless the command exited 0. */
export function checked(host: HostExec, argv: readonly string[], r: ExecResult, what: string): void {
  if (r.code !== 0) fail(host, argv, r, what);
}

/** Runs a command on the host; its output when it exits 0, else a UserError naming the host and the tool. */
export async function onHost(host: HostExec, argv: string[], ctx: EngineContext, what: string): Promise<string> {
  const r = await host.exec(argv, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  if (r.code !== 0) fail(host, argv, r, what);
  return r.stdout;
}

/**
 * The command's stdout becomes the local file `file` (flushed before this returns). `stdin` feeds
 * it; `shown` is the command as messages name it (the tool, not the wrapper that runs it).
 */
export async function streamFromHost(host: HostExec, argv: string[], file: string, ctx: EngineContext, what: string, io: { stdin?: Readable; shown?: readonly string[] } = {}): Promise<void> {
  const out = createWriteStream(file, { mode: 0o600 });
  let r: ExecResult;
  try {
    r = await host.stream(argv, { stdout: out, timeoutMs: ctx.timeoutMs, signal: ctx.signal, ...(io.stdin ? { stdin: io.stdin } : {}) });
  } finally {
    out.end();
    await finished(out).catch(() => undefined);
  }
  if (r.code !== 0) fail(host, io.shown ?? argv, r, what);
}

/** The local file `file` becomes the command's stdin. */
export async function streamToHost(host: HostExec, argv: string[], file: string, ctx: EngineContext, what: string): Promise<void> {
  const stdin = createReadStream(file);
  const r = await host.stream(argv, { stdin, stdout: devNull(), timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  stdin.destroy();
  if (r.code !== 0) fail(host, argv, r, what);
}

/** A Writable that drops what it is given (stdout of a command whose output is not needed). */
export function devNull(): Writable {
  return new Writable({ write(_chunk, _enc, cb) { cb(); } });
}

/** A scratch folder on the host (`mktemp -d`), removed by the returned function. */
export async function remoteTempDir(host: HostExec, ctx: EngineContext): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = (await onHost(host, ['mktemp', '-d', '/tmp/opsbot-backup.XXXXXXXXXX'], ctx, 'a scratch folder')).trim();
  // The path goes into sqlite3's `.backup` argument: only what mktemp makes of the template is accepted.
  if (!/^\/tmp\/opsbot-backup\.[A-Za-z0-9]{10}$/.test(dir)) throw new UserError('failed', `mktemp on ${host.host} printed an unexpected path: ${dir.slice(0, 100)}`);
  return {
    dir,
    async remove() {
      await host.exec(['rm', '-rf', '--', dir], { timeoutMs: 30_000 }).catch(() => undefined);
    },
  };
}

/**
 * `HostExec`: runs one program with an argument vector on a host (this one, or one reached over
 * SSH) with a timeout, and gives back its exit code and output. Never a shell string built from
 * input: locally `execFile`, remotely the argv joined with POSIX single quotes (quote.ts).
 */
import type { Readable, Writable } from 'node:stream';

export interface ExecOptions {
  /** Longest the command may run; it is killed after this. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes of stdout/stderr kept at most (each); the rest is dropped and `truncated` set. */
  maxBytes?: number;
}

export interface ExecResult {
  /** Exit code; null when the process was killed by a signal (or the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
}

/** A command whose stdout goes to a stream (a backup's artifact) and whose stdin may come from one. */
export interface StreamOptions extends ExecOptions {
  stdout: Writable;
  stdin?: Readable;
}

export interface HostExec {
  /** `local` or the configured host name: where commands run, for replies and lock keys. */
  readonly host: string;
  /** How this host is reached, for --dry-run text (`this host`, `ssh ops@10.0.0.5:22`). */
  readonly describe: string;
  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /**
   * Runs the command with its stdout written to `opts.stdout` (with backpressure; not ended) and
   * `opts.stdin`, when given, piped to its stdin. The result's `stdout` is empty; stderr is kept.
   */
  stream(argv: readonly string[], opts: StreamOptions): Promise<ExecResult>;
}

export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** The first line of a command's error output, or its exit code: for messages. */
export function failureText(argv: readonly string[], r: ExecResult): string {
  if (r.timedOut) return `${argv[0]} timed out`;
  const msg = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
  return `${argv[0]} exited with ${r.code ?? 'a signal'}${msg ? `: ${msg.slice(0, 500)}` : ''}`;
}

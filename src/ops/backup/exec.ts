/**
 * Runs an external tool: `execFile` with an argument array (never a shell), a timeout, the abort
 * signal of the invocation, and an explicit environment (secrets like PGPASSWORD go here, never
 * in argv). Failures become UserErrors that say which tool failed and why.
 */
import { execFile } from 'node:child_process';
import { UserError } from '../../core/errors.js';

export interface ToolOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Added to a minimal environment (PATH, LANG). */
  env?: Record<string, string>;
  /** PATH the tool runs with: the bot's own, passed in by the composition root (default DEFAULT_TOOL_PATH). */
  path?: string | undefined;
  cwd?: string;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** The PATH of a tool when none is given: the standard system folders. */
export const DEFAULT_TOOL_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Last lines of a tool's stderr, for error messages. */
function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join('\n').slice(0, 1000);
}

export function runTool(bin: string, args: string[], opts: ToolOptions): Promise<ToolResult> {
  const env: Record<string, string> = { PATH: opts.path ?? DEFAULT_TOOL_PATH, LANG: 'C.UTF-8', ...opts.env };
  return new Promise((resolve, reject) => {
    execFile(bin, args, {
      env, cwd: opts.cwd, timeout: opts.timeoutMs, killSignal: 'SIGTERM', maxBuffer: 64 * 1024 * 1024,
      ...(opts.signal ? { signal: opts.signal } : {}), windowsHide: true,
    }, (err, stdout, stderr) => {
      if (!err) {
        resolve({ stdout, stderr });
        return;
      }
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number; signal?: string };
      const name = bin.split('/').pop() ?? bin;
      if (e.code === 'ENOENT') reject(new UserError('unavailable', `${name} is not installed or not on PATH (${bin})`));
      else if (e.name === 'AbortError') reject(new UserError('timeout', `${name} was stopped: the command was cancelled`));
      else if (e.killed) reject(new UserError('timeout', `${name} timed out after ${Math.round(opts.timeoutMs / 1000)}s and was stopped`));
      else reject(new UserError('failed', `${name} failed (exit ${String(e.code)}): ${tail(String(stderr)) || e.message}`));
    });
  });
}

/** Runs the real `opsbot` CLI as a child process (through tsx, so no build is needed). */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { waitFor } from './servers.js';

const CLI = ['--import', 'tsx', 'src/cli.ts'];

export interface RunningBot {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  send(line: string): void;
  endInput(): void;
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function startBotProcess(args: string[], env: Record<string, string>): RunningBot {
  const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.removeListener('exit', kill));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    send: (line) => child.stdin?.write(`${line}\n`),
    endInput: () => child.stdin?.end(),
    exited,
    waitForOutput: (re, timeoutMs = 20_000) =>
      waitFor(() => (re.test(out) ? out : undefined), { timeoutMs, what: `output ${re}` }).catch((e) => {
        throw new Error(`${(e as Error).message}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
      }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The environment a user's shell would have: PATH and HOME, nothing the test process inherited. */
export function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

/** Runs the CLI with exactly `env` (no inherited variables), as a user types it on a fresh shell. */
export function runCliBare(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

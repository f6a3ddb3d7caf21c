/**
 * Host helpers for tests and benchmarks (no jest import, so bench/ can use them too): finding
 * server binaries, free ports, waiting, temp dirs, and spawning servers that die with the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REQUIRE_SERVERS = process.env.CI === 'true' || process.env.OPSBOT_REQUIRE_SERVERS === '1';
export const INSTALL_HINT = 'run `bash scripts/install-test-deps.sh` (Debian packages)';

function extraDirs(): string[] {
  const dirs = ['/usr/sbin', '/sbin', '/usr/local/sbin'];
  try {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    /* no postgres */
  }
  return dirs;
}

/** Absolute path of an executable on PATH (or in sbin / PostgreSQL's bin), or undefined. */
export function which(bin: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...extraDirs()]) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export async function tmpDir(prefix = 'opsbot-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a server process that is killed when the test run ends, capturing its output. */
export function spawnServer(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; killAfterMs?: number } = {}): ServerProcess {
  const child = spawn(bin, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Runs the demo app: under a real supervisord of its own (Debian's `supervisor`, when
 * `supervisord` and `supervisorctl` are on PATH) so `status`, `restart` and `logs` go through the
 * supervisor service manager; otherwise as a plain child process of the demo, which the bot cannot
 * restart (the banner says so). Every program runs with execFile-style argument arrays.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

export interface DemoProcess {
  /** `supervisor` (restart works) or `child` (a plain child of the demo; no restart). */
  kind: 'supervisor' | 'child';
  /** supervisorctl's config file, for the target's `manager:` (supervisor only). */
  configFile?: string;
  /** The program name under supervisor. */
  program: string;
  /** Where the app's stdout and stderr go. */
  logFiles: string[];
  stop(): Promise<void>;
}

/** The first executable `name` in the PATH's folders. */
export async function findOnPath(name: string, searchPath: string | undefined): Promise<string | undefined> {
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout) });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await sleep(200);
  }
  throw new Error(`the demo app did not start: ${what} within ${Math.round(timeoutMs / 1000)}s`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A supervisord left over by a demo that was killed: stop it (and its program) before starting ours. */
async function stopLeftover(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await until('the previous demo supervisord stopping', () => !alive(pid), 15_000);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited(child);
  clearTimeout(force);
}

export interface StartAppOptions {
  dir: string;
  program: string;
  /** `node app.mjs <port>`: the node binary and the program file. */
  node: string;
  appFile: string;
  port: number;
  /** PATH to look for supervisord and supervisorctl in. */
  searchPath: string | undefined;
}

/** Starts the app under supervisord when it is installed, else as a plain child process. */
export async function startApp(o: StartAppOptions): Promise<DemoProcess> {
  const supervisord = await findOnPath('supervisord', o.searchPath);
  const supervisorctl = await findOnPath('supervisorctl', o.searchPath);
  const logDir = path.join(o.dir, 'logs');
  await mkdir(logDir, { recursive: true });
  const out = path.join(logDir, `${o.program}.out.log`);
  const err = path.join(logDir, `${o.program}.err.log`);
  if (supervisord && supervisorctl) return startSupervised({ ...o, supervisord, supervisorctl, out, err });
  return startChild(o, path.join(logDir, `${o.program}.log`));
}

async function startSupervised(o: StartAppOptions & { supervisord: string; supervisorctl: string; out: string; err: string }): Promise<DemoProcess> {
  const sup = path.join(o.dir, 'supervisor');
  await mkdir(sup, { recursive: true, mode: 0o700 });
  const configFile = path.join(sup, 'supervisord.conf');
  const pidFile = path.join(sup, 'supervisord.pid');
  await stopLeftover(pidFile);
  await writeFile(configFile, [
    '; written by `opsbot demo` at every start: supervisord for the demo app only',
    '[unix_http_server]', `file=${sup}/supervisor.sock`, 'chmod=0700', '',
    '[supervisord]', `logfile=${sup}/supervisord.log`, `pidfile=${pidFile}`, `childlogdir=${sup}`, 'nodaemon=true', '',
    '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface', '',
    '[supervisorctl]', `serverurl=unix://${sup}/supervisor.sock`, '',
    `[program:${o.program}]`, `command=${o.node} ${o.appFile} ${o.port}`, `directory=${o.dir}`,
    'autorestart=true', 'startsecs=1', 'stopwaitsecs=5', `stdout_logfile=${o.out}`, `stderr_logfile=${o.err}`, '',
  ].join('\n'));
  const daemon = spawn(o.supervisord, ['-c', configFile], { stdio: 'ignore' });
  // Whatever way the demo ends, supervisord is told to stop (it stops the app first).
  const onExit = () => { if (daemon.exitCode === null) daemon.kill('SIGTERM'); };
  process.once('exit', onExit);
  let failed: Error | undefined;
  daemon.once('error', (e) => { failed = e; });
  const ctl = (...args: string[]) => run(o.supervisorctl, ['-c', configFile, ...args]);
  try {
    await until(`supervisorctl status ${o.program} says RUNNING`, async () => {
      if (failed || daemon.exitCode !== null) throw new Error(`supervisord exited (${failed?.message ?? `code ${daemon.exitCode}`}); see ${sup}/supervisord.log`);
      return new RegExp(`^${o.program}\\s+RUNNING`, 'm').test((await ctl('status', o.program)).stdout);
    }, 20_000);
  } catch (e) {
    await stopChild(daemon);
    throw e;
  }
  return {
    kind: 'supervisor', configFile, program: o.program, logFiles: [o.out, o.err],
    stop: async () => {
      await stopChild(daemon, 15_000);
      process.removeListener('exit', onExit);
    },
  };
}

async function startChild(o: StartAppOptions, logFile: string): Promise<DemoProcess> {
  const fd = openSync(logFile, 'a', 0o644);
  const child = spawn(o.node, [o.appFile, String(o.port)], { cwd: o.dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const onExit = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', onExit);
  await until(`the app answering on 127.0.0.1:${o.port}`, async () => {
    if (child.exitCode !== null) throw new Error(`the demo app exited with code ${child.exitCode}; see ${logFile}`);
    return fetch(`http://127.0.0.1:${o.port}/health`).then((r) => r.ok, () => false);
  }, 15_000);
  return {
    kind: 'child', program: o.program, logFiles: [logFile],
    stop: async () => {
      await stopChild(child);
      process.removeListener('exit', onExit);
    },
  };
}

/**
 * A real supervisord (Debian's `supervisor`) with its own config in a temp dir, its control
 * socket a unix socket there, managing the tiny HTTP program (`web`) and one that fails on start
 * (`broken`). supervisorctl is pointed at it with `-c <configFile>`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, spawnServer, tmpDir, waitFor, which, type ServerProcess } from './host.js';

const run = promisify(execFile);
export const TINY_HTTP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tiny-http.mjs');

export interface Supervisor {
  dir: string;
  configFile: string;
  /** The port the `web` program serves on. */
  port: number;
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startSupervisor(): Promise<Supervisor> {
  const { dir, cleanup } = await tmpDir('opsbot-supervisor-');
  const port = await freePort();
  const configFile = path.join(dir, 'supervisord.conf');
  await writeFile(configFile, [
    '[unix_http_server]', `file=${dir}/supervisor.sock`, 'chmod=0700', '',
    '[supervisord]', `logfile=${dir}/supervisord.log`, `pidfile=${dir}/supervisord.pid`, `childlogdir=${dir}`, 'nodaemon=true', '',
    '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface', '',
    '[supervisorctl]', `serverurl=unix://${dir}/supervisor.sock`, '',
    '[program:web]', `command=${process.execPath} ${TINY_HTTP} ${port}`, 'autorestart=true', 'startsecs=1', 'stopwaitsecs=5',
    `stdout_logfile=${dir}/web.out.log`, `stderr_logfile=${dir}/web.err.log`, '',
    '[program:broken]', `command=/bin/sh -c "echo broken: cannot open the database >&2; exit 3"`, 'autostart=false', 'startsecs=1', 'startretries=0',
    `stdout_logfile=${dir}/broken.out.log`, `stderr_logfile=${dir}/broken.err.log`, '',
  ].join('\n'));
  const proc: ServerProcess = spawnServer(which('supervisord') as string, ['-c', configFile]);
  const ctl = async (...args: string[]) => {
    try {
      return (await run(which('supervisorctl') as string, ['-c', configFile, ...args], { timeout: 20_000 })).stdout;
    } catch (e) {
      return (e as { stdout?: string }).stdout ?? '';
    }
  };
  await waitFor(async () => /web\s+RUNNING/.test(await ctl('status', 'web')), { timeoutMs: 20_000, what: `supervisord running web (${proc.output()})` });
  return {
    dir, configFile, port, ctl,
    async stop() {
      await proc.stop();
      await cleanup();
    },
  };
}

/**
 * A real OpenSSH server (Debian's `openssh-server`) on a loopback port of its own, with a host
 * key generated for the run and one authorized client key, for the user running the tests (root
 * here: `PermitRootLogin prohibit-password`). AuthorizedKeysFile and everything else live in a
 * temp dir; StrictModes is off because that dir is not the user's home.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnServer, tcpOpen, tmpDir, waitFor, which, type ServerProcess } from './host.js';

const run = promisify(execFile);

export interface Sshd {
  port: number;
  user: string;
  /** The server's public host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
  /** Another key that is not the server's (to pin a "changed" key). */
  otherHostKey: string;
  clientKeyFile: string;
  clientKey: string;
  dir: string;
  stop(): Promise<void>;
}

async function keygen(file: string): Promise<string> {
  await run(which('ssh-keygen') as string, ['-q', '-t', 'ed25519', '-N', '', '-f', file], { timeout: 20_000 });
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

export async function startSshd(): Promise<Sshd> {
  const { dir, cleanup } = await tmpDir('opsbot-sshd-');
  const port = await freePort();
  const hostKey = await keygen(path.join(dir, 'host_key'));
  const otherHostKey = await keygen(path.join(dir, 'other_host_key'));
  const clientPub = await keygen(path.join(dir, 'client_key'));
  await writeFile(path.join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });
  const config = path.join(dir, 'sshd_config');
  await writeFile(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_key`, `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`, 'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password', 'UsePAM no', 'PrintMotd no', 'LogLevel ERROR',
  ].join('\n'));
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const proc: ServerProcess = spawnServer(which('sshd') as string, ['-D', '-e', '-f', config]);
  await waitFor(() => tcpOpen(port), { timeoutMs: 15_000, what: `sshd listening (${proc.output()})` });
  return {
    port, user: userInfo().username, hostKey, otherHostKey, dir,
    clientKeyFile: path.join(dir, 'client_key'),
    clientKey: await readFile(path.join(dir, 'client_key'), 'utf8'),
    async stop() {
      await proc.stop();
      await cleanup();
    },
  };
}

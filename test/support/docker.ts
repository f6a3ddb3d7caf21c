/**
 * A throwaway Docker Engine for integration tests: Debian's `dockerd` started as root on its own
 * unix socket in a temp dir (vfs storage, no iptables, no bridge, its own data/exec roots and
 * containerd namespace), with an image imported from a busybox-static root filesystem, since no
 * registry can be reached. Containers use the host network (there is no bridge).
 * No jest import here, so benchmarks (bench/) can start the same daemon.
 */
import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { spawnServer, which, type ServerProcess } from './host.js';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, copyFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const TEST_IMAGE = 'opsbot-busybox:test';
const BUSYBOX_APPLETS = ['sh', 'httpd', 'wget', 'echo', 'sleep', 'cat', 'ls', 'true', 'false', 'date', 'seq'];

export interface DockerdServer {
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  host: string;
  socketPath: string;
  docker: Docker;
  dir: string;
  process: ServerProcess;
  /** Creates and starts a container from the busybox image on the host network. */
  runContainer(opts: RunOptions): Promise<Docker.Container>;
  /** Stops dockerd (its containers removed first), leaving the temp dir; `stop` also removes that. */
  stopDaemon(): Promise<void>;
  stop(): Promise<void>;
}

export interface RunOptions {
  name: string;
  cmd: string[];
  labels?: Record<string, string>;
  /** Docker HEALTHCHECK: the command and its interval in ms. */
  healthcheck?: { test: string[]; intervalMs?: number; retries?: number };
  restartPolicy?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  tty?: boolean;
  env?: string[];
  /** Wait for the container to be running before returning (default true). */
  waitRunning?: boolean;
}

/** Why dockerd cannot run here, or undefined when it can be tried. */
export function dockerdUnavailable(): string | undefined {
  if (!which('dockerd')) return 'dockerd not installed (Debian package docker.io)';
  if (process.getuid?.() !== 0) return 'dockerd needs root (mounts, namespaces, cgroups)';
  if (!BUSYBOX) return 'busybox-static not installed (/bin/busybox)';
  return undefined;
}

/** busybox-static: one static binary, so a root filesystem needs nothing else. */
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

async function buildRootfsTar(dir: string): Promise<string> {
  const root = path.join(dir, 'rootfs');
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await mkdir(path.join(root, 'www'), { recursive: true });
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await copyFile(BUSYBOX as string, path.join(root, 'bin', 'busybox'));
  await chmod(path.join(root, 'bin', 'busybox'), 0o755);
  for (const a of BUSYBOX_APPLETS) await symlink('busybox', path.join(root, 'bin', a));
  await writeFile(path.join(root, 'www', 'health'), 'ok\n');
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  const tar = path.join(dir, 'rootfs.tar');
  await run('tar', ['-C', root, '-cf', tar, '.'], { timeout: 30_000 });
  return tar;
}

/** Unmounts whatever dockerd left mounted under `dir` (netns, data-root bind), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => Boolean(m && (m === dir || m.startsWith(`${dir}/`))))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m], { timeout: 10_000 }).catch(() => undefined);
}

export async function startDockerd(): Promise<DockerdServer> {
  const why = dockerdUnavailable();
  if (why) throw new Error(why);
  const bin = which('dockerd') as string;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsbot-dockerd-'));
  const socketPath = path.join(dir, 'docker.sock');
  const ns = `opsbot-test-${randomBytes(4).toString('hex')}`;
  await writeFile(path.join(dir, 'daemon.json'), '{}\n');
  const args = [
    '--host', `unix://${socketPath}`,
    '--config-file', path.join(dir, 'daemon.json'),
    '--storage-driver=vfs', '--iptables=false', '--ip6tables=false', '--bridge=none',
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'docker.pid'),
    '--containerd-namespace', ns,
    '--containerd-plugins-namespace', `${ns}-plugins`,
    '--log-level', 'warn',
  ];
  const proc = spawnServer(bin, args, { killAfterMs: 15_000 });
  const docker = new Docker({ socketPath, timeout: 30_000 });
  const ready = async (p: ServerProcess) => {
    await until(async () => (p.child.exitCode !== null ? Promise.reject(new Error('dockerd exited')) : (await docker.ping(), true)), 'dockerd', 30_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${p.output()}`); });
  };
  await ready(proc);
  const tar = await buildRootfsTar(dir);
  const [repo, tag] = TEST_IMAGE.split(':') as [string, string];
  const stream = await docker.importImage(createReadStream(tar) as unknown as string, { repo, tag });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));

  let daemonStopped = false;
  const server: DockerdServer = {
    host: `unix://${socketPath}`,
    socketPath,
    docker,
    dir,
    process: proc,
    async runContainer(o) {
      const c = await docker.createContainer({
        name: o.name,
        Image: TEST_IMAGE,
        Cmd: o.cmd,
        Tty: o.tty ?? false,
        Env: o.env ?? [],
        Labels: o.labels ?? {},
        ...(o.healthcheck ? {
          Healthcheck: {
            Test: ['CMD', ...o.healthcheck.test],
            Interval: (o.healthcheck.intervalMs ?? 500) * 1e6,
            Timeout: 2_000 * 1e6,
            Retries: o.healthcheck.retries ?? 2,
            StartPeriod: 0,
          },
        } : {}),
        HostConfig: { NetworkMode: 'host', Init: true, RestartPolicy: { Name: o.restartPolicy ?? 'no' } },
      });
      await c.start();
      if (o.waitRunning !== false) await until(async () => (await c.inspect()).State.Running, `${o.name} running`);
      return c;
    },
    async stopDaemon() {
      if (daemonStopped) return;
      daemonStopped = true;
      const all = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      await proc.stop('SIGTERM');
    },
    async stop() {
      await server.stopDaemon();
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * A booted systemd in a container of the throwaway test dockerd (test/support/docker.ts), as in
 * scripts/systemd-boot-attempt.sh: a Debian bookworm rootfs made by debootstrap (minbase +
 * systemd, systemd-sysv, busybox; cached in OPSBOT_SYSTEMD_ROOTFS or a temp dir), imported, and
 * run with /sbin/init, every capability but CAP_SYS_RESOURCE (this VM's bounding set lacks it, so
 * --privileged fails), no seccomp/AppArmor profile, the host's cgroup namespace and tree, and
 * tmpfs /run, /run/lock. Units: `hello-http` (busybox httpd on 127.0.0.1:<port>) and `broken`
 * (prints a line on stderr and exits 3). `DockerExecHost` is a HostExec that runs each command
 * with `docker exec <container>` (argv passed through, no shell).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalExec, type ExecOptions, type ExecResult, type HostExec } from '../../src/ops/hosts/index.js';
import type { StreamOptions } from '../../src/ops/hosts/exec.js';
import { startDockerd, type DockerdServer } from './docker.js';
import { freePort } from './host.js';

const run = promisify(execFile);

export class DockerExecHost implements HostExec {
  readonly host: string;
  readonly describe: string;
  private readonly local = new LocalExec();

  constructor(private readonly dockerHost: string, private readonly container: string) {
    this.host = container;
    this.describe = `docker exec ${container}`;
  }

  private wrap(argv: readonly string[], interactive: boolean): string[] {
    return ['docker', '-H', this.dockerHost, 'exec', ...(interactive ? ['-i'] : []), this.container, ...argv];
  }

  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return this.local.exec(this.wrap(argv, false), opts);
  }

  stream(argv: readonly string[], opts: StreamOptions): Promise<ExecResult> {
    return this.local.stream(this.wrap(argv, opts.stdin !== undefined), opts);
  }
}

export interface SystemdContainer {
  dockerd: DockerdServer;
  container: string;
  exec: DockerExecHost;
  httpPort: number;
  /** Seconds each phase took (debootstrap, import, boot). */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

async function timed<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round((performance.now() - t) / 100) / 10;
  }
}

export async function startSystemdContainer(): Promise<SystemdContainer> {
  const timings: Record<string, number> = {};
  const rootfs = process.env.OPSBOT_SYSTEMD_ROOTFS ?? path.join(os.tmpdir(), 'opsbot-systemd-rootfs');
  if (!existsSync(path.join(rootfs, 'lib/systemd/systemd'))) {
    await timed(timings, 'debootstrap', () => run('debootstrap', ['--variant=minbase', '--include=systemd,systemd-sysv,busybox', 'bookworm', rootfs, 'http://deb.debian.org/debian'], { timeout: 900_000, maxBuffer: 64 * 1024 * 1024 }));
  }
  const httpPort = await freePort();
  await mkdir(path.join(rootfs, 'srv/www'), { recursive: true });
  await writeFile(path.join(rootfs, 'srv/www/index.html'), 'ok\n');
  const units = path.join(rootfs, 'etc/systemd/system');
  await writeFile(path.join(units, 'hello-http.service'), `[Unit]\nDescription=hello over HTTP\n[Service]\nExecStart=/bin/busybox httpd -f -p 127.0.0.1:${httpPort} -h /srv/www\n[Install]\nWantedBy=multi-user.target\n`);
  await writeFile(path.join(units, 'broken.service'), "[Unit]\nDescription=a unit that fails on start\n[Service]\nExecStart=/bin/sh -c 'echo \"broken: cannot open /etc/broken.conf\" >&2; exit 3'\n");
  await run('ln', ['-sf', '/etc/systemd/system/hello-http.service', path.join(units, 'multi-user.target.wants/hello-http.service')]);
  const dockerd = await startDockerd();
  const docker = ['-H', dockerd.host];
  const container = `opsbot-systemd-${process.pid}`;
  try {
    await timed(timings, 'import', () => run('sh', ['-c', 'tar -C "$1" -c . | docker -H "$2" import - opsbot-systemd:test', 'sh', rootfs, dockerd.host], { timeout: 300_000 }));
    await timed(timings, 'boot', async () => {
      await run('docker', [...docker, 'run', '-d', '--name', container, '--network', 'host', '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
        '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--cgroupns=host',
        '--tmpfs', '/run', '--tmpfs', '/run/lock', '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '-e', 'container=docker',
        '--stop-signal', 'SIGRTMIN+3', 'opsbot-systemd:test', '/sbin/init'], { timeout: 120_000 });
      const deadline = Date.now() + 90_000;
      for (;;) {
        const r = await run('docker', [...docker, 'exec', container, 'systemctl', 'is-system-running'], { timeout: 10_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
        if (/^(running|degraded)/.test(r.stdout.trim())) break;
        if (Date.now() > deadline) throw new Error(`systemd did not come up: ${r.stdout.trim()}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    });
  } catch (e) {
    await dockerd.stop();
    throw e;
  }
  return {
    dockerd, container, httpPort, timings, exec: new DockerExecHost(dockerd.host, container),
    async stop() {
      await run('docker', [...docker, 'rm', '-f', container], { timeout: 60_000 }).catch(() => undefined);
      await dockerd.stop();
    },
  };
}

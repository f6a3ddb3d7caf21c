/**
 * Docker Engine access through dockerode: find a target's containers (by name or compose service
 * label), inspect, restart, and read their logs with stdout and stderr demultiplexed.
 * Every call is bounded by a timeout; connection and API failures become `UserError`s with a
 * message a person can act on (Docker unreachable, no such container, permission denied).
 */
import type Docker from 'dockerode';
import { lazyRequire } from '../../core/lazy-require.js';
import type { IncomingMessage } from 'node:http';
import { UserError, isUserError } from '../../core/errors.js';
import { DEFAULT_DOCKER_HOST, connectionOptions } from './connection.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE, toContainerInfo } from './container-info.js';
import { dockerError } from './errors.js';
import { sshDockerAgent } from './ssh-agent.js';
import type { HostTunnel } from '../hosts/index.js';
import { LineSplitter, splitTimestamp } from './log-lines.js';
import { describeSelector, type ContainerInfo, type ContainerSelector, type LogLine, type LogQuery } from './types.js';

const dockerode = lazyRequire<typeof Docker>('dockerode');

export interface DockerServiceOptions {
  /** DOCKER_HOST from the environment, parsed by main.ts; the default socket when absent. */
  defaultHost?: string | undefined;
  /** Bound on each API call (default 10 s). */
  callTimeoutMs?: number;
  /** Bound on reading logs (default 30 s). */
  logTimeoutMs?: number;
  /** The SSH hosts of `hosts:`, for containers with `host:` (Docker over SSH). */
  tunnels?: { tunnel(name: string): HostTunnel } | undefined;
}

interface Conn {
  docker: Docker;
  host: string;
  socketPath?: string;
}

export class DockerService {
  readonly defaultHost: string;
  private readonly callTimeoutMs: number;
  private readonly logTimeoutMs: number;
  private readonly conns = new Map<string, Conn>();
  private readonly tunnels: DockerServiceOptions['tunnels'];

  constructor(opts: DockerServiceOptions = {}) {
    this.defaultHost = opts.defaultHost ?? DEFAULT_DOCKER_HOST;
    // A DOCKER_HOST we cannot use is a start-up error, not a surprise at the first restart.
    try {
      connectionOptions(this.defaultHost);
    } catch (e) {
      throw new UserError('invalid', `DOCKER_HOST: ${(e as Error).message}`);
    }
    this.callTimeoutMs = opts.callTimeoutMs ?? 10_000;
    this.logTimeoutMs = opts.logTimeoutMs ?? 30_000;
    this.tunnels = opts.tunnels;
  }

  /** Where the selector's Docker is, for replies and lock keys: `ssh://web-1` (over SSH), else the Docker host URL. */
  hostOf(sel: ContainerSelector): string {
    if (sel.host) return `ssh://${sel.host}${sel.dockerHost ? ` (${sel.dockerHost})` : ''}`;
    return sel.dockerHost ?? this.defaultHost;
  }

  private open(sel: ContainerSelector, host: string): Conn {
    if (!sel.host) {
      const options = connectionOptions(host);
      return { docker: new (dockerode())(options), host, ...(options.socketPath ? { socketPath: options.socketPath } : {}) };
    }
    if (!this.tunnels) throw new UserError('unavailable', `Docker on host ${sel.host} is reached over SSH, and this process has no hosts configured`);
    const agent = sshDockerAgent(this.tunnels.tunnel(sel.host), sel.dockerHost, this.callTimeoutMs);
    // The host name only fills the HTTP Host header: every connection is the agent's SSH tunnel.
    const options = { ...connectionOptions('tcp://localhost:2375'), agent } as Docker.DockerOptions;
    return { docker: new (dockerode())(options), host };
  }

  private conn(sel: ContainerSelector): Conn {
    const host = this.hostOf(sel);
    let c = this.conns.get(host);
    if (!c) {
      c = this.open(sel, host);
      this.conns.set(host, c);
    }
    return c;
  }

  /** Runs one API call with its own deadline (and the caller's signal); failures become UserErrors. */
  private async call<T>(c: Conn, what: string, timeoutMs: number, parent: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = parent ? AbortSignal.any([parent, deadline]) : deadline;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(signal),
        new Promise<never>((_, reject) => {
          // The guarantee, should a request ignore its abort signal.
          timer = setTimeout(() => reject(new UserError('timeout', `Docker at ${c.host} did not answer ${what} within ${timeoutMs}ms`)), timeoutMs + 100);
          timer.unref();
        }),
      ]);
    } catch (e) {
      if (deadline.aborted && !isUserError(e)) throw new UserError('timeout', `Docker at ${c.host} did not answer ${what} within ${timeoutMs}ms`);
      if (parent?.aborted && !isUserError(e)) throw new UserError('timeout', `${what} on Docker at ${c.host} was cancelled`);
      throw dockerError(e, c.host, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Engine version: also the cheapest "is Docker reachable" check. */
  async version(sel: ContainerSelector = {}, signal?: AbortSignal): Promise<string> {
    const c = this.conn(sel);
    const v = await this.call(c, 'the version request', this.callTimeoutMs, signal, (s) => (c.docker.version as unknown as (o: object) => Promise<Docker.DockerVersion>)({ abortSignal: s }));
    return `${v.Version} (API ${v.ApiVersion})`;
  }

  async inspect(sel: ContainerSelector, idOrName: string, signal?: AbortSignal): Promise<ContainerInfo> {
    const c = this.conn(sel);
    const info = await this.call(c, `inspecting ${idOrName}`, this.callTimeoutMs, signal, (s) => c.docker.getContainer(idOrName).inspect({ abortSignal: s }));
    return toContainerInfo(info);
  }

  /** The selected containers, inspected, sorted by name. A name that does not exist is an error; a service with none is an empty list. */
  async list(sel: ContainerSelector, signal?: AbortSignal): Promise<ContainerInfo[]> {
    if (sel.name) {
      try {
        return [await this.inspect(sel, sel.name, signal)];
      } catch (e) {
        if (isUserError(e) && e.code === 'not_found') {
          throw new UserError('not_found', `No container named "${sel.name.replace(/^\//, '')}" on ${this.hostOf(sel)}`);
        }
        throw e;
      }
    }
    if (!sel.service) throw new UserError('invalid', 'A container selector needs a name or a compose service');
    const c = this.conn(sel);
    const labels = [`${COMPOSE_SERVICE}=${sel.service}`, ...(sel.project ? [`${COMPOSE_PROJECT}=${sel.project}`] : [])];
    const found = await this.call(c, `listing ${describeSelector(sel)}`, this.callTimeoutMs, signal, (s) =>
      c.docker.listContainers({ all: true, filters: { label: labels }, abortSignal: s } as Docker.ContainerListOptions));
    const infos = await Promise.all(found.map((f) => this.inspect(sel, f.Id, signal).catch((e: unknown) => {
      // Removed between list and inspect: leave it out.
      if (isUserError(e) && e.code === 'not_found') return undefined;
      throw e;
    })));
    return infos.filter((i): i is ContainerInfo => i !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** `docker restart -t`: stops (SIGTERM, SIGKILL after `stopTimeoutSec`) and starts again. */
  async restart(sel: ContainerSelector, id: string, stopTimeoutSec: number, signal?: AbortSignal): Promise<void> {
    const c = this.conn(sel);
    const t = Math.max(0, Math.round(stopTimeoutSec));
    await this.call(c, `restarting ${id.slice(0, 12)}`, this.callTimeoutMs + t * 1000, signal, (s) =>
      c.docker.getContainer(id).restart({ t, abortSignal: s }));
  }

  /** `docker stop -t` (a container already stopped is left as it is). */
  async stop(sel: ContainerSelector, id: string, stopTimeoutSec: number, signal?: AbortSignal): Promise<void> {
    const c = this.conn(sel);
    const t = Math.max(0, Math.round(stopTimeoutSec));
    await this.call(c, `stopping ${id.slice(0, 12)}`, this.callTimeoutMs + t * 1000, signal, async (s) => {
      try {
        await c.docker.getContainer(id).stop({ t, abortSignal: s });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 304) throw e;
      }
    });
  }

  /** `docker start` (a container already running is left as it is). */
  async start(sel: ContainerSelector, id: string, signal?: AbortSignal): Promise<void> {
    const c = this.conn(sel);
    await this.call(c, `starting ${id.slice(0, 12)}`, this.callTimeoutMs, signal, async (s) => {
      try {
        await c.docker.getContainer(id).start({ abortSignal: s });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 304) throw e;
      }
    });
  }

  /**
   * Streams one container's logs line by line, stdout and stderr demultiplexed (or raw for a TTY
   * container), each line with Docker's timestamp. Resolves with the number of bytes read.
   */
  async readLogs(sel: ContainerSelector, container: Pick<ContainerInfo, 'id' | 'name' | 'tty'>, query: LogQuery, onLine: (line: LogLine) => void): Promise<{ bytes: number; truncated: boolean }> {
    const c = this.conn(sel);
    const maxBytes = query.maxBytes ?? 64 * 1024 * 1024;
    const timeoutMs = query.timeoutMs ?? this.logTimeoutMs;
    const params: Record<string, string | number | boolean> = {
      stdout: query.stdout ?? true,
      stderr: query.stderr ?? true,
      timestamps: true,
      follow: false,
    };
    if (query.since) params.since = Math.floor(query.since.getTime() / 1000);
    if (query.tail !== undefined) params.tail = Math.max(0, Math.floor(query.tail));
    const what = `reading the logs of ${container.name}`;
    return this.call(c, what, timeoutMs, query.signal, (signal) => new Promise((resolve, reject) => {
      // dockerode buffers (and JSON-parses) non-follow logs; dial as a stream instead, so memory stays bounded.
      c.docker.modem.dial({
        path: `/containers/${encodeURIComponent(container.id)}/logs?`,
        method: 'GET',
        options: params,
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      }, (err: unknown, res: unknown) => {
        if (err) return reject(err);
        const stream = res as IncomingMessage;
        let bytes = 0;
        let truncated = false;
        let done = false;
        const emit = (kind: LogLine['stream']) => (raw: string) => {
          const [time, text] = splitTimestamp(raw);
          onLine({ container: container.name, stream: kind, time, text });
        };
        const out = new LineSplitter(emit('stdout'));
        const errOut = new LineSplitter(emit('stderr'));
        const finish = () => {
          if (done) return;
          done = true;
          out.flushRest();
          errOut.flushRest();
          resolve({ bytes, truncated });
        };
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBytes && !truncated) {
            truncated = true;
            stream.destroy();
            finish();
          }
        });
        if (container.tty) stream.on('data', (chunk: Buffer) => { if (!truncated) out.write(chunk); });
        else c.docker.modem.demuxStream(stream, out as unknown as NodeJS.WritableStream, errOut as unknown as NodeJS.WritableStream);
        stream.once('end', finish);
        stream.once('error', (e) => { if (!done) { done = true; reject(e); } });
        signal.addEventListener('abort', () => stream.destroy(), { once: true });
      });
    }));
  }
}

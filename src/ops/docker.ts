/**
 * Docker Engine access through dockerode: find a target's containers (by name or compose service
 * label), inspect, restart, and read their logs with stdout and stderr demultiplexed.
 * Every call is bounded by a timeout; connection and API failures become `UserError`s with a
 * message a person can act on (Docker unreachable, no such container, permission denied).
 */
import Docker from 'dockerode';
import { StringDecoder } from 'node:string_decoder';
import type { IncomingMessage } from 'node:http';
import { UserError, isUserError } from '../core/errors.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_PROJECT = 'com.docker.compose.project';

export interface ContainerSelector {
  name?: string | undefined;
  service?: string | undefined;
  project?: string | undefined;
  /** Overrides the default host (DOCKER_HOST). */
  dockerHost?: string | undefined;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  service?: string;
  /** Docker's state word: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  running: boolean;
  /** healthy | unhealthy | starting, when the image or container has a HEALTHCHECK. */
  health?: string;
  /** Output of the last failed health probe, when unhealthy. */
  healthOutput?: string;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode: number;
  /** Restarts done by Docker's restart policy (a manual `docker restart` does not count). */
  restartCount: number;
  restartPolicy: string;
  oomKilled: boolean;
  error?: string;
  tty: boolean;
}

export interface LogLine {
  container: string;
  stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch, from Docker's timestamp (NaN if Docker gave none). */
  time: number;
  text: string;
}

export interface LogQuery {
  /** Only lines at or after this time. */
  since?: Date;
  /** Only the last N lines of each container (Docker's `tail`). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
  /** Stop reading after this many bytes (default 64 MiB). */
  maxBytes?: number;
  timeoutMs?: number;
}

export interface DockerServiceOptions {
  /** DOCKER_HOST from the environment, parsed by main.ts; the default socket when absent. */
  defaultHost?: string | undefined;
  /** Bound on each API call (default 10 s). */
  callTimeoutMs?: number;
  /** Bound on reading logs (default 30 s). */
  logTimeoutMs?: number;
}

interface Conn {
  docker: Docker;
  host: string;
  socketPath?: string;
}

/** dockerode options for a host URL, with every env-derived default overridden (docker-modem reads DOCKER_* itself otherwise). */
export function connectionOptions(host: string): Docker.DockerOptions {
  const base: Docker.DockerOptions = { host: undefined, port: undefined, socketPath: undefined, protocol: 'http', ca: undefined, cert: undefined, key: undefined } as unknown as Docker.DockerOptions;
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new UserError('invalid', `DOCKER_HOST "${host}": a unix socket needs an absolute path (unix:///var/run/docker.sock)`);
    return { ...base, socketPath };
  }
  const m = /^(?:tcp|http):\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(host);
  if (m) return { ...base, host: m[1] as string, port: Number(m[2]), protocol: 'http' };
  throw new UserError('invalid', `Unsupported Docker host "${host}": use unix:///path/to/docker.sock or tcp://host:port`);
}

/** A Docker API or connection failure as a message for the person who asked. */
export function dockerError(e: unknown, host: string, what: string): UserError {
  if (isUserError(e)) return e;
  const err = e as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } | null; reason?: string };
  const apiMessage = err?.json && typeof err.json === 'object' && typeof err.json.message === 'string' ? err.json.message.trim() : undefined;
  switch (err?.code) {
    case 'ENOENT':
      return new UserError('unavailable', `Docker is not reachable at ${host}: there is no socket there (is dockerd running?)`);
    case 'ECONNREFUSED':
      return new UserError('unavailable', `Docker is not reachable at ${host}: connection refused (is dockerd running?)`);
    case 'EACCES':
    case 'EPERM':
      return new UserError('denied', `Permission denied on the Docker socket at ${host}: the bot's user needs access to it (for example membership of the docker group)`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ENOTCONN':
      return new UserError('unavailable', `Docker at ${host} closed the connection during ${what}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError('unavailable', `Docker host ${host} cannot be resolved`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new UserError('unavailable', `Docker at ${host} cannot be reached (${err.code})`);
    default:
      break;
  }
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    return new UserError('timeout', `Docker at ${host} did not finish ${what} in time`);
  }
  switch (err?.statusCode) {
    case 404:
      return new UserError('not_found', `No such container on ${host}: ${apiMessage ?? what}`);
    case 401:
    case 403:
      return new UserError('denied', `Docker at ${host} refused ${what}: ${apiMessage ?? 'permission denied'}`);
    case 409:
      return new UserError('conflict', `Docker at ${host} refused ${what}: ${apiMessage ?? 'conflict'}`);
    case undefined:
      break;
    default:
      return new UserError('failed', `Docker at ${host} failed ${what} (HTTP ${err.statusCode}): ${apiMessage ?? err.reason ?? 'server error'}`);
  }
  if (err?.message === 'socket hang up') return new UserError('unavailable', `Docker at ${host} closed the connection during ${what}`);
  return new UserError('failed', `Docker at ${host}: ${what} failed: ${err?.message ?? String(e)}`);
}

function parseTime(s: string | undefined): Date | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Docker's inspect JSON → the fields a person reads in `docker-compose ps`. */
export function toContainerInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
  const st = i.State;
  const health = st.Health?.Status && st.Health.Status !== 'none' ? st.Health.Status : undefined;
  const lastProbe = st.Health?.Log?.[st.Health.Log.length - 1];
  const info: ContainerInfo = {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? i.Image,
    state: st.Status,
    // A paused container reports Running too: it serves nothing, so it is not running here.
    running: st.Running && !st.Restarting && !st.Paused,
    exitCode: st.ExitCode,
    restartCount: i.RestartCount ?? 0,
    restartPolicy: i.HostConfig?.RestartPolicy?.Name || 'no',
    oomKilled: st.OOMKilled,
    tty: Boolean(i.Config?.Tty),
  };
  const service = i.Config?.Labels?.[COMPOSE_SERVICE];
  if (service) info.service = service;
  if (health) info.health = health;
  if (health === 'unhealthy' && lastProbe?.Output) info.healthOutput = lastProbe.Output.trim().slice(0, 500);
  const startedAt = parseTime(st.StartedAt);
  if (startedAt) info.startedAt = startedAt;
  const finishedAt = parseTime(st.FinishedAt);
  if (finishedAt) info.finishedAt = finishedAt;
  if (st.Error) info.error = st.Error;
  return info;
}

export function describeSelector(sel: ContainerSelector): string {
  if (sel.name) return `container ${sel.name.replace(/^\//, '')}`;
  return `compose service ${sel.service}${sel.project ? ` of project ${sel.project}` : ''}`;
}

/** Splits demultiplexed payload chunks into lines (a line may span several frames). */
export class LineSplitter {
  private carry = '';
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly onLine: (line: string) => void) {}
  write(chunk: Buffer): boolean {
    const text = this.carry + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.carry = parts.pop() ?? '';
    for (const p of parts) this.onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
    return true;
  }
  flushRest(): void {
    this.carry += this.decoder.end();
    if (this.carry) this.onLine(this.carry);
    this.carry = '';
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?/;

/** `2026-11-24T09:24:03.861953199Z text` → [ms, text]. Docker timestamps carry nanoseconds; ms is enough. */
export function splitTimestamp(line: string): [number, string] {
  const m = TIMESTAMP.exec(line);
  if (!m) return [Number.NaN, line];
  const stamp = (m[1] as string).replace(/(\.\d{3})\d+/, '$1');
  return [Date.parse(stamp), line.slice(m[0].length)];
}

export class DockerService {
  readonly defaultHost: string;
  private readonly callTimeoutMs: number;
  private readonly logTimeoutMs: number;
  private readonly conns = new Map<string, Conn>();

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
  }

  hostOf(sel: ContainerSelector): string {
    return sel.dockerHost ?? this.defaultHost;
  }

  private conn(sel: ContainerSelector): Conn {
    const host = this.hostOf(sel);
    let c = this.conns.get(host);
    if (!c) {
      const options = connectionOptions(host);
      c = { docker: new Docker(options), host, ...(options.socketPath ? { socketPath: options.socketPath } : {}) };
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

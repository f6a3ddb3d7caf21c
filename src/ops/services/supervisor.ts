/**
 * supervisor programs through `supervisorctl` (with its own config file, which names the server
 * and holds any credentials, so none is on the command line): `status`, `restart|stop|start`,
 * and `tail -<bytes> <name> stdout|stderr` for logs.
 */
import type { SupervisorManagerConfig } from '../../config/services-schema.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { UserError } from '../../core/errors.js';
import type { LogLine } from '../docker/index.js';
import type { HostExec } from '../hosts/index.js';
import { lastLines, leadingTime, runTool, type ManagerCommand } from './run.js';
import type { LogQuery, ServiceManager, ServiceState } from './types.js';

type SupCfg = Pick<SupervisorManagerConfig, 'supervisorctl' | 'configFile'>;

/** Bytes of each log `supervisorctl tail` reads (its own unit is bytes, not lines). */
export const SUPERVISOR_TAIL_BYTES = 256 * 1024;

export function supervisorctlArgv(c: SupCfg, ...args: string[]): string[] {
  return [c.supervisorctl, ...(c.configFile ? ['-c', c.configFile] : []), ...args];
}

/** `0:01:02`, `1 day, 2:03:04`, `3 days, 0:00:09` → ms. */
export function parseUptime(v: string): number | undefined {
  const m = /^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})$/.exec(v.trim());
  if (!m) return undefined;
  return (((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000;
}

/** One line of `supervisorctl status`: `web   RUNNING   pid 123, uptime 0:00:05`. */
export function parseStatusLine(line: string, now: number): ServiceState | undefined {
  const m = /^(\S+)\s+(STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\s*(.*)$/.exec(line.trim());
  if (!m) return undefined;
  const [, name, state, rest] = m as unknown as [string, string, string, string];
  const pid = /pid (\d+)/.exec(rest);
  const up = /uptime (.+)$/.exec(rest);
  const upMs = up ? parseUptime(up[1] as string) : undefined;
  return {
    name,
    state,
    running: state === 'RUNNING',
    failed: state === 'FATAL' || state === 'BACKOFF',
    ...(pid ? { pid: Number(pid[1]) } : {}),
    ...(upMs !== undefined ? { startedAt: new Date(now - upMs) } : {}),
    ...(state !== 'RUNNING' && rest ? { detail: rest } : {}),
  };
}

/** What supervisorctl says when it cannot reach supervisord or the name is unknown. */
function problemOf(out: string, name: string, host: string): UserError | undefined {
  if (/no such (process|group)/i.test(out)) return new UserError('not_found', `supervisor on ${host} has no program ${name} (see supervisorctl status)`);
  if (/refused connection|no such file|connection refused|SHUTDOWN_STATE/i.test(out)) return new UserError('unavailable', `supervisorctl on ${host} cannot reach supervisord: ${out.trim().split('\n')[0]}`);
  return undefined;
}

export class SupervisorManager implements ServiceManager {
  readonly kind = 'supervisor' as const;
  readonly name: string;
  private readonly cmd: ManagerCommand;

  constructor(private readonly cfg: SupervisorManagerConfig, private readonly exec: HostExec, private readonly clock: Clock = systemClock) {
    this.name = cfg.name;
    this.cmd = { host: exec, timeoutMs: cfg.commandTimeout };
  }

  get host(): string {
    return this.exec.host;
  }

  describe(): string {
    return `supervisor program ${this.cfg.name} on ${this.exec.describe}`;
  }

  restartCommand(): string {
    return supervisorctlArgv(this.cfg, 'restart', this.cfg.name).join(' ');
  }

  async status(signal?: AbortSignal): Promise<ServiceState[]> {
    // supervisorctl exits 3 when a program is not running: the output is what counts.
    const r = await runTool(this.cmd, supervisorctlArgv(this.cfg, 'status', this.cfg.name), signal);
    const now = this.clock.now();
    const states = r.stdout.split('\n').map((l) => parseStatusLine(l, now)).filter((s): s is ServiceState => s !== undefined);
    if (states.length) return states;
    throw problemOf(`${r.stdout}\n${r.stderr}`, this.cfg.name, this.exec.host)
      ?? new UserError('failed', `supervisorctl status ${this.cfg.name} on ${this.exec.host}: ${(r.stdout || r.stderr).trim().slice(0, 300) || `exit code ${r.code}`}`);
  }

  /** `restart`, `stop`, `start`: each answers `name: started` or `name: ERROR (…)`. */
  private async verb(verb: 'restart' | 'stop' | 'start', signal?: AbortSignal): Promise<void> {
    const r = await runTool(this.cmd, supervisorctlArgv(this.cfg, verb, this.cfg.name), signal);
    const out = `${r.stdout}\n${r.stderr}`;
    const problem = problemOf(out, this.cfg.name, this.exec.host);
    if (problem) throw problem;
    const errors = out.split('\n').filter((l) => /ERROR/.test(l) && !/ERROR \((not running|already started)\)/.test(l));
    if (errors.length) throw new UserError('failed', `supervisorctl ${verb} ${this.cfg.name} on ${this.exec.host}: ${errors.join('; ').trim()}`);
  }

  restart(signal?: AbortSignal): Promise<void> {
    return this.verb('restart', signal);
  }

  stop(signal?: AbortSignal): Promise<void> {
    return this.verb('stop', signal);
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.verb('start', signal);
  }

  async logs(q: LogQuery): Promise<LogLine[]> {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const r = await runTool(this.cmd, supervisorctlArgv(this.cfg, 'tail', `-${SUPERVISOR_TAIL_BYTES}`, this.cfg.name, stream), q.signal);
      const problem = problemOf(r.stdout, this.cfg.name, this.exec.host);
      if (problem && problem.code === 'unavailable') throw problem;
      if (r.code !== 0 || /ERROR \(no log file\)|^\S+: ERROR/m.test(r.stdout)) continue; // e.g. stderr redirected into stdout
      const lines = lastLines(r.stdout, q.tail + 1);
      // tail by bytes: the first line may be cut; drop it when the whole read was used.
      if (Buffer.byteLength(r.stdout) >= SUPERVISOR_TAIL_BYTES && lines.length > 1) lines.shift();
      for (const line of lines.slice(-q.tail)) {
        const { time, text } = leadingTime(line);
        if (q.since && time < q.since.getTime()) continue;
        out.push({ container: this.cfg.name, stream, time, text });
      }
    }
    return out;
  }
}

/**
 * systemd units through `systemctl` and `journalctl` (execFile locally, argv over SSH remotely):
 * `systemctl show` for state, main PID, start time and restart count; `systemctl restart|stop|start`;
 * `journalctl -u <unit> --since @<epoch> -o json` for logs. The argv builders and parsers are
 * exported for the fixture tests (this machine's PID 1 is not systemd).
 */
import type { SystemdManagerConfig } from '../../config/services-schema.js';
import { UserError } from '../../core/errors.js';
import type { LogLine } from '../docker/index.js';
import type { HostExec } from '../hosts/index.js';
import { failureText } from '../hosts/index.js';
import { runOk, runTool, type ManagerCommand } from './run.js';
import type { LogQuery, ServiceManager, ServiceState } from './types.js';

export const SHOW_PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'Result', 'MainPID', 'ExecMainStartTimestamp', 'ExecMainStatus', 'NRestarts'] as const;

type Unit = Pick<SystemdManagerConfig, 'unit' | 'userUnit' | 'sudo'>;

function prefix(u: Unit): string[] {
  return u.sudo ? ['sudo', '-n'] : [];
}

export function systemctlArgv(u: Unit, verb: 'show' | 'restart' | 'stop' | 'start' | 'is-active'): string[] {
  const base = [...prefix(u), 'systemctl', ...(u.userUnit ? ['--user'] : []), '--no-pager'];
  if (verb === 'show') return [...base, 'show', `--property=${SHOW_PROPERTIES.join(',')}`, '--', u.unit];
  return [...base, verb, '--', u.unit];
}

export function journalctlArgv(u: Unit, q: { since?: Date; tail: number }): string[] {
  return [
    ...prefix(u), 'journalctl', ...(u.userUnit ? ['--user-unit', u.unit] : ['-u', u.unit]),
    '--no-pager', '-o', 'json', '-n', String(q.tail),
    ...(q.since ? ['--since', `@${Math.floor(q.since.getTime() / 1000)}`] : []),
  ];
}

/** `KEY=value` lines of `systemctl show`. */
export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** systemd's timestamps: `@1715680800` (--timestamp=unix), `Tue 2024-05-14 10:00:00 UTC`, or empty / `n/a`. */
export function parseSystemdTime(v: string | undefined): Date | undefined {
  if (!v || v === 'n/a' || v === '0') return undefined;
  const unix = /^@(\d+)$/.exec(v);
  if (unix) return new Date(Number(unix[1]) * 1000);
  const m = /^(?:[A-Za-z]{3} )?(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?: (UTC|GMT|[+-]\d{2}:?\d{2}))?$/.exec(v.trim());
  if (m) {
    const zone = !m[3] || m[3] === 'UTC' || m[3] === 'GMT' ? 'Z' : m[3];
    const t = Date.parse(`${m[1]}T${m[2]}${zone}`);
    if (!Number.isNaN(t)) return new Date(t);
  }
  const t = Date.parse(v.replace(/^[A-Za-z]{3} /, ''));
  return Number.isNaN(t) ? undefined : new Date(t);
}

export function stateOfShow(unit: string, p: Record<string, string>): ServiceState {
  if (p.LoadState === 'not-found') throw new UserError('not_found', `systemd has no unit ${unit} (LoadState=not-found)`);
  const active = p.ActiveState ?? 'unknown';
  const pid = Number(p.MainPID);
  const restarts = Number(p.NRestarts);
  const started = active === 'active' || active === 'reloading' || active === 'activating' ? parseSystemdTime(p.ExecMainStartTimestamp) : undefined;
  const result = p.Result && p.Result !== 'success' ? `result ${p.Result}${p.ExecMainStatus && p.ExecMainStatus !== '0' ? `, exit status ${p.ExecMainStatus}` : ''}` : undefined;
  return {
    name: p.Id || unit,
    state: p.SubState ? `${active} (${p.SubState})` : active,
    running: active === 'active' || active === 'reloading',
    failed: active === 'failed',
    ...(pid > 0 ? { pid } : {}),
    ...(started ? { startedAt: started } : {}),
    ...(Number.isFinite(restarts) && p.NRestarts !== undefined && p.NRestarts !== '' ? { restartCount: restarts } : {}),
    ...(result ? { detail: result } : {}),
  };
}

/** journald's MESSAGE is a string, or an array of bytes when it is not valid UTF-8, or null. */
function messageText(m: unknown): string {
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return Buffer.from(m.filter((b): b is number => typeof b === 'number')).toString('utf8');
  return '';
}

/** `journalctl -o json` output: one JSON object per line; PRIORITY 0-3 (emerg..err) reads as stderr. */
export function parseJournal(text: string, unit: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const us = Number(e.__REALTIME_TIMESTAMP);
    const prio = Number(e.PRIORITY);
    out.push({
      container: typeof e._SYSTEMD_UNIT === 'string' ? e._SYSTEMD_UNIT : unit,
      stream: Number.isFinite(prio) && prio <= 3 ? 'stderr' : 'stdout',
      time: Number.isFinite(us) ? Math.floor(us / 1000) : Number.NaN,
      text: messageText(e.MESSAGE),
    });
  }
  return out;
}

export class SystemdManager implements ServiceManager {
  readonly kind = 'systemd' as const;
  readonly name: string;
  private readonly cmd: ManagerCommand;

  constructor(private readonly cfg: SystemdManagerConfig, private readonly exec: HostExec) {
    this.name = cfg.unit;
    this.cmd = { host: exec, timeoutMs: cfg.commandTimeout };
  }

  get host(): string {
    return this.exec.host;
  }

  describe(): string {
    return `systemd ${this.cfg.userUnit ? 'user unit' : 'unit'} ${this.cfg.unit} on ${this.exec.describe}`;
  }

  restartCommand(): string {
    return systemctlArgv(this.cfg, 'restart').join(' ');
  }

  async status(signal?: AbortSignal): Promise<ServiceState[]> {
    const r = await runOk(this.cmd, systemctlArgv(this.cfg, 'show'), signal);
    return [stateOfShow(this.cfg.unit, parseShow(r.stdout))];
  }

  private async verb(verb: 'restart' | 'stop' | 'start', signal?: AbortSignal): Promise<void> {
    const argv = systemctlArgv(this.cfg, verb);
    const r = await runTool(this.cmd, argv, signal);
    if (r.code !== 0) throw new UserError('failed', `${failureText(argv, r)} (on ${this.exec.host})`);
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
    const r = await runOk(this.cmd, journalctlArgv(this.cfg, q), q.signal);
    return parseJournal(r.stdout, this.cfg.unit);
  }
}

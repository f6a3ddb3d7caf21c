/**
 * pm2 apps through pm2's CLI: `pm2 jlist` for state (status, PID, start time, restart count, log
 * file paths), `pm2 restart|stop|start <name>`, and the app's own log files (read with `tail`, on
 * the app's host). `PM2_HOME` goes through `env`, so the same argv runs locally and over SSH.
 */
import type { Pm2ManagerConfig } from '../../config/services-schema.js';
import { UserError } from '../../core/errors.js';
import type { LogLine } from '../docker/index.js';
import type { HostExec } from '../hosts/index.js';
import { lastLines, leadingTime, runOk, runTool, type ManagerCommand } from './run.js';
import type { LogQuery, ServiceManager, ServiceState } from './types.js';

type Pm2Cfg = Pick<Pm2ManagerConfig, 'name' | 'pm2' | 'pm2Home'>;

export function pm2Argv(c: Pm2Cfg, ...args: string[]): string[] {
  return [...(c.pm2Home ? ['env', `PM2_HOME=${c.pm2Home}`] : []), c.pm2, ...args];
}

export interface Pm2App {
  name: string;
  pmId: number;
  pid?: number;
  status: string;
  startedAt?: Date;
  restarts: number;
  outLog?: string;
  errLog?: string;
  exitCode?: number;
}

/** `pm2 jlist` prints a JSON array (after any daemon start-up lines). */
export function parseJlist(text: string): Pm2App[] {
  const at = text.search(/^\[\s*(\{|\])/m);
  if (at < 0) throw new UserError('failed', `pm2 jlist printed no list: ${text.trim().slice(0, 200)}`);
  let list: unknown;
  try {
    list = JSON.parse(text.slice(at));
  } catch {
    throw new UserError('failed', 'pm2 jlist printed something that is not JSON');
  }
  if (!Array.isArray(list)) throw new UserError('failed', 'pm2 jlist printed no list');
  return list.map((raw) => {
    const a = raw as { name?: string; pm_id?: number; pid?: number; pm2_env?: Record<string, unknown> };
    const env = a.pm2_env ?? {};
    const uptime = Number(env.pm_uptime);
    return {
      name: String(a.name ?? env.name ?? ''),
      pmId: Number(a.pm_id ?? env.pm_id ?? -1),
      ...(a.pid ? { pid: a.pid } : {}),
      status: String(env.status ?? 'unknown'),
      ...(uptime > 0 ? { startedAt: new Date(uptime) } : {}),
      restarts: Number(env.restart_time ?? 0),
      ...(typeof env.pm_out_log_path === 'string' ? { outLog: env.pm_out_log_path } : {}),
      ...(typeof env.pm_err_log_path === 'string' ? { errLog: env.pm_err_log_path } : {}),
      ...(typeof env.exit_code === 'number' ? { exitCode: env.exit_code } : {}),
    };
  });
}

export function stateOfApp(a: Pm2App): ServiceState {
  const running = a.status === 'online';
  return {
    name: `${a.name}#${a.pmId}`,
    state: a.status,
    running,
    failed: a.status === 'errored',
    ...(a.pid ? { pid: a.pid } : {}),
    ...(running && a.startedAt ? { startedAt: a.startedAt } : {}),
    restartCount: a.restarts,
    ...(!running && a.exitCode !== undefined ? { detail: `exit code ${a.exitCode}` } : {}),
  };
}

export class Pm2Manager implements ServiceManager {
  readonly kind = 'pm2' as const;
  readonly name: string;
  private readonly cmd: ManagerCommand;

  constructor(private readonly cfg: Pm2ManagerConfig, private readonly exec: HostExec) {
    this.name = cfg.name;
    this.cmd = { host: exec, timeoutMs: cfg.commandTimeout };
  }

  get host(): string {
    return this.exec.host;
  }

  describe(): string {
    return `pm2 app ${this.cfg.name} on ${this.exec.describe}`;
  }

  restartCommand(): string {
    return pm2Argv(this.cfg, 'restart', this.cfg.name).join(' ');
  }

  private async apps(signal?: AbortSignal): Promise<Pm2App[]> {
    const r = await runOk(this.cmd, pm2Argv(this.cfg, 'jlist'), signal);
    const mine = parseJlist(r.stdout).filter((a) => a.name === this.cfg.name);
    if (mine.length === 0) throw new UserError('not_found', `pm2 on ${this.exec.host} has no app named ${this.cfg.name} (see pm2 list)`);
    return mine.sort((x, y) => x.pmId - y.pmId);
  }

  async status(signal?: AbortSignal): Promise<ServiceState[]> {
    return (await this.apps(signal)).map(stateOfApp);
  }

  async restart(signal?: AbortSignal): Promise<void> {
    await runOk(this.cmd, pm2Argv(this.cfg, 'restart', this.cfg.name), signal);
  }

  async stop(signal?: AbortSignal): Promise<void> {
    await runOk(this.cmd, pm2Argv(this.cfg, 'stop', this.cfg.name), signal);
  }

  async start(signal?: AbortSignal): Promise<void> {
    await runOk(this.cmd, pm2Argv(this.cfg, 'start', this.cfg.name), signal);
  }

  /** The last lines of each instance's out and error log files (`tail -n`), merged by time where lines carry one. */
  async logs(q: LogQuery): Promise<LogLine[]> {
    const out: LogLine[] = [];
    const files = new Set<string>();
    for (const a of await this.apps(q.signal)) {
      for (const [path, stream] of [[a.outLog, 'stdout'], [a.errLog, 'stderr']] as const) {
        if (!path || files.has(path)) continue;
        files.add(path);
        const r = await runTool(this.cmd, ['tail', '-n', String(q.tail), '--', path], q.signal);
        if (r.code !== 0) continue; // not written yet
        for (const line of lastLines(r.stdout, q.tail)) {
          const { time, text } = leadingTime(line);
          if (q.since && time < q.since.getTime()) continue;
          out.push({ container: `${a.name}#${a.pmId}`, stream, time, text });
        }
      }
    }
    return out;
  }
}

/** What every service manager speaks of: a service's state, its log lines, and the one interface. */
import type { LogLine } from '../docker/index.js';

export type ManagerKind = 'docker' | 'systemd' | 'pm2' | 'supervisor';

export interface ServiceState {
  /** The unit, app, program or container this line is about. */
  name: string;
  /** The manager's own words: `active (running)`, `online`, `RUNNING`, `exited`. */
  state: string;
  running: boolean;
  /** The manager gave up on it (systemd `failed`, supervisor `FATAL`/`BACKOFF`, pm2 `errored`). */
  failed: boolean;
  pid?: number;
  startedAt?: Date;
  /** Restarts done by the manager itself (systemd NRestarts, pm2 restart_time, Docker's policy). */
  restartCount?: number;
  /** More about the state: systemd Result, supervisor's description, an exit code. */
  detail?: string;
}

export interface LogQuery {
  /** Only lines at or after this time (when the lines carry a time). */
  since?: Date;
  /** The last N lines at most. */
  tail: number;
  signal?: AbortSignal;
}

/** One interface over Docker, systemd, pm2 and supervisor: status, restart, stop, start, logs. */
export interface ServiceManager {
  readonly kind: ManagerKind;
  /** `local` or the SSH host name. */
  readonly host: string;
  /** The unit / app / program / container selector, for replies and lock keys. */
  readonly name: string;
  /** What it is and where, for --dry-run text: `systemd unit stormforge-backend on ssh ops@10.0.0.5:22`. */
  describe(): string;
  /** The command line `restart` runs, for --dry-run text. */
  restartCommand(): string;
  status(signal?: AbortSignal): Promise<ServiceState[]>;
  restart(signal?: AbortSignal): Promise<void>;
  stop(signal?: AbortSignal): Promise<void>;
  start(signal?: AbortSignal): Promise<void>;
  logs(query: LogQuery): Promise<LogLine[]>;
}

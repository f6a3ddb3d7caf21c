import type { ContainerSelector, DockerService } from '../docker/index.js';
import type { BackupFreshness } from '../backup/catalog.js';
import type { LogFiles } from '../logfiles/index.js';
import type { Clock } from '../../core/clock.js';
import type { HostExec } from '../hosts/index.js';

export type ProbeStatus = 'ok' | 'warn' | 'fail';

export interface ProbeOutcome {
  status: ProbeStatus;
  /** One readable line: `200 in 12ms, status=ok`. */
  detail: string;
  /** Figures for machines (metrics, JSON output). */
  data?: Record<string, number | string | boolean>;
}

export interface ProbeContext {
  signal: AbortSignal;
  timeoutMs: number;
  /** The target the check belongs to (probes that default to the target's own resources use it). */
  target?: string;
  /** Connections some probes need, wired once by main.ts. */
  services?: ProbeServices;
}

/** What probes may use besides their own config; each optional so a probe can say what is missing. */
export interface ProbeServices {
  docker?: {
    service: DockerService;
    /** The `container` section of a target, for `container` and `log-count` checks that name none. */
    containerOf(target: string): ContainerSelector | undefined;
  };
  /** Backup catalog freshness, for `backup-fresh` checks. */
  backups?: BackupFreshness;
  /** Targets' log files (`targets.<t>.logFiles`), for `log-count` checks with `files`. */
  logFiles?: LogFiles;
  /** The clock of time windows (default: the system clock). */
  clock?: Clock;
  /**
   * Where `disk` and `memory` checks run: the check's own `host`, else the target's manager host;
   * undefined means the bot's own host.
   */
  hosts?: { execFor(target: string | undefined, host: string | undefined): HostExec | undefined };
  /** Whether this process serves the bot's HTTP endpoint, for checks marked `self: true`. */
  self?: { serving(): boolean };
}

export type Probe<C> = (config: C, ctx: ProbeContext) => Promise<ProbeOutcome>;

/** ok below warn, warn below max, fail at or above max. */
export function thresholdStatus(value: number, max: number, warn?: number): ProbeStatus {
  if (value >= max) return 'fail';
  if (warn !== undefined && value >= warn) return 'warn';
  return 'ok';
}

/**
 * A check of the bot's own endpoint (`self: true`) in a process that serves none (`opsbot exec`):
 * nothing to check here, so it neither passes nor fails — the result says it was skipped.
 */
export function skipSelfCheck(cfg: { self?: boolean | undefined }, ctx: ProbeContext): ProbeOutcome | undefined {
  if (!cfg.self || ctx.services?.self?.serving() !== false) return undefined;
  return { status: 'ok', detail: 'a check of the bot itself, and this process serves no HTTP (opsbot exec)', data: { skipped: true } };
}

export function isSkipped(outcome: ProbeOutcome): boolean {
  return outcome.data?.skipped === true;
}

import type { BackupFreshness } from '../backup/catalog.js';

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
  /** The target the check belongs to. */
  target?: string;
  /** Services some probes need, wired in main.ts. */
  services?: ProbeServices;
}

/** What probes that read opsbot's own records need (passed in, never imported). */
export interface ProbeServices {
  backups?: BackupFreshness;
}

export type Probe<C> = (config: C, ctx: ProbeContext) => Promise<ProbeOutcome>;

/** ok below warn, warn below max, fail at or above max. */
export function thresholdStatus(value: number, max: number, warn?: number): ProbeStatus {
  if (value >= max) return 'fail';
  if (warn !== undefined && value >= warn) return 'warn';
  return 'ok';
}

/**
 * What the scheduler is given (store, router, clock, outbox, alerts, audit, maintenance), the
 * subject a job runs as, and the context its parts share: the records, the job's channel, and
 * the set of runs this process started (waited for at stop).
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CommandRunner } from '../invocation.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store/types.js';
import type { WebhookPayload } from '../alerts/payload.js';
import type { MaintenanceWindows } from '../maintenance/port.js';
import type { JobRecords } from './records.js';
import type { JobChannel } from './channel.js';

export interface SchedulerDeps {
  store: Store;
  runner: CommandRunner;
  clock: Clock;
  log: Logger;
  /** The outbox's public API: one chat message per key. */
  outbox: { enqueue(key: string, channel: string, reply: Reply): Promise<void> };
  /** The alert service: a job alert is routed and escalated like an Alertmanager one. */
  alerts: { receive(payload: WebhookPayload): Promise<unknown> };
  audit: { systemEvent(e: { action: string; subject?: string; message?: string; detail?: Record<string, unknown> }): Promise<void> };
  /** The target a command line acts on (for the alert's `target` label and RBAC of `jobs run`). */
  targetOf?: (line: string) => string | undefined;
  /** Maintenance windows: a job whose target is under maintenance runs, but posts nothing to its channel. */
  maintenance?: MaintenanceWindows;
}

export const jobSubject = (name: string) => ({ id: `system:job:${name}`, display: `job ${name}` });

/** What the scheduler's parts share. */
export interface JobContext {
  readonly deps: SchedulerDeps;
  readonly records: JobRecords;
  readonly channel: JobChannel;
  /** Keeps a run this process started, for `stop` and `idle` to wait on. */
  track(p: Promise<void>): void;
}

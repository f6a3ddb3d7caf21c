/** What a scheduled job is, and the records the scheduler keeps of it (README "Scheduled jobs"). */
import type { Status } from '../reply.js';

export type NotifyMode = 'always' | 'failure' | 'change';

/** One job as the scheduler runs it (from `jobs.<name>` in config). */
export interface JobDefinition {
  name: string;
  cron: string;
  timezone: string;
  /** The command line, run through the router as `system:job:<name>`. */
  run: string;
  channel?: string | undefined;
  notify: NotifyMode;
  catchUp: 'run' | 'skip';
  timeoutMs: number;
  /** A failed run opens an alert group with this severity. */
  alert?: { severity: string } | undefined;
  /** Paused until someone resumes it, when the store has no state for it yet. */
  paused: boolean;
  description?: string | undefined;
}

export type RunTrigger = 'schedule' | 'manual' | 'catch-up';

/**
 * `claimed`: taken, not started yet. `held`: the command waits for an approval. `interrupted`: its
 * process went away while it ran (found past its deadline).
 */
export type RunState = 'claimed' | 'running' | 'ok' | 'failed' | 'timeout' | 'skipped' | 'held' | 'interrupted';

/** One run of a job (`job_runs`): claimed once per job and scheduled time across every process. */
export interface JobRun {
  _id: string;
  /** `<job>@<scheduled ISO time>` (or `<job>@manual:<run id>`): unique, so each tick is claimed once. */
  claim: string;
  job: string;
  trigger: RunTrigger;
  /** The scheduled time (schedule and catch-up runs). */
  slot?: Date;
  /** Who started it: `scheduler`, or the subject of `jobs run`. */
  by: string;
  state: RunState;
  /** Why it was skipped, failed or held, in words. */
  reason?: string;
  /** The router's invocation of the job's command. */
  invocationId?: string;
  startedAt: Date;
  finishedAt?: Date;
  durationMs?: number;
  status?: Status;
  title?: string;
  version: number;
}

export interface LastRun {
  runId: string;
  state: RunState;
  title?: string | undefined;
  durationMs?: number | undefined;
  finishedAt: Date;
}

/** One job's shared state (`job_state`), changed only by compare-and-set on `version`. */
export interface JobState {
  _id: string;
  version: number;
  paused: boolean;
  pausedBy?: string | null;
  pausedAt?: Date | null;
  /** This pause's first skipped tick is recorded; later ticks of the same pause leave no run record. */
  pauseNoted?: boolean;
  /** The run that holds the job now, and until when it may (its timeout and a grace period). */
  running: { runId: string; until: Date } | null;
  /** The latest scheduled time handled (run, skipped or held) by any process: where catch-up counts from. */
  lastSlot: Date | null;
  last: LastRun | null;
  /** The first failure of the current failing streak, while a job alert is open. */
  failingSince: Date | null;
}

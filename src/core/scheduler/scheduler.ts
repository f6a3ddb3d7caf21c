/**
 * The scheduler: arms a timer on the injected clock for each job's next slot, and answers the
 * `jobs` commands (list, history, pause, resume, run now). Each slot is claimed once across
 * processes and never overlaps the job with itself (claim.ts); the command runs through the
 * router as `system:job:<name>` with a timeout, its result is posted and a job alert raised or
 * resolved (execute.ts); runs missed while the bot was down are reported at start (catch-up.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Timer } from '../clock.js';
import { UserError, errorMessage } from '../errors.js';
import { CronSchedule, MAX_TIMER_MS } from './cron.js';
import { initialJobState, JobRecords } from './records.js';
import { JobChannel } from './channel.js';
import { beginRun } from './claim.js';
import { catchUpJob } from './catch-up.js';
import type { JobContext, SchedulerDeps } from './ports.js';
import type { JobDefinition, JobRun, JobState, RunTrigger } from './types.js';

export { jobSubject, type SchedulerDeps } from './ports.js';

export interface JobView {
  job: JobDefinition;
  paused: boolean;
  next?: Date | undefined;
  running?: { runId: string } | undefined;
  last?: JobState['last'] | undefined;
}

export class Scheduler {
  private readonly records: JobRecords;
  private readonly ctx: JobContext;
  private readonly jobs = new Map<string, { def: JobDefinition; cron: CronSchedule }>();
  private readonly timers = new Map<string, Timer>();
  private readonly inflight = new Set<Promise<void>>();
  private started = false;

  constructor(jobs: readonly JobDefinition[], private readonly deps: SchedulerDeps) {
    this.records = new JobRecords(deps.store);
    this.ctx = { deps, records: this.records, channel: new JobChannel(deps), track: (p) => this.track(p) };
    for (const def of jobs) this.jobs.set(def.name, { def, cron: new CronSchedule(def.cron, def.timezone) });
  }

  names(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * The jobs of a reloaded config: a removed job's timer stops, a new job is armed, a changed one
   * is re-armed on its (new) cron expression; an unchanged job keeps its timer. A run under way
   * is not stopped: it finishes with the definition it began with.
   */
  rearm(jobs: readonly JobDefinition[]): { added: string[]; removed: string[]; changed: string[] } {
    const next = new Map(jobs.map((def) => [def.name, { def, cron: new CronSchedule(def.cron, def.timezone) }]));
    const added = [...next.keys()].filter((n) => !this.jobs.has(n));
    const removed = [...this.jobs.keys()].filter((n) => !next.has(n));
    const changed = [...next.keys()].filter((n) => this.jobs.has(n) && !isDeepStrictEqual(this.jobs.get(n)?.def, next.get(n)?.def));
    for (const name of [...removed, ...changed]) {
      this.timers.get(name)?.cancel();
      this.timers.delete(name);
    }
    for (const name of removed) this.jobs.delete(name);
    for (const name of [...added, ...changed]) {
      this.jobs.set(name, next.get(name) as { def: JobDefinition; cron: CronSchedule });
      this.arm(name);
    }
    return { added, removed, changed };
  }

  definition(name: string): JobDefinition | undefined {
    return this.jobs.get(name)?.def;
  }

  /** Reports (and per `catchUp` runs) what was missed while down, then arms every job's timer. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const { def, cron } of this.jobs.values()) {
      try {
        await catchUpJob(this.ctx, def, cron);
      } catch (e) {
        this.deps.log.error({ err: e, job: def.name }, `catch-up of job ${def.name} failed: ${errorMessage(e)}`);
      }
      this.arm(def.name);
    }
  }

  /** Stops the timers and waits (bounded) for runs this process started. */
  async stop(timeoutMs: number): Promise<void> {
    this.started = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
  }

  /** Settles when every run this process started has finished (tests). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  async list(): Promise<JobView[]> {
    const now = this.deps.clock.date();
    const out: JobView[] = [];
    for (const { def, cron } of this.jobs.values()) {
      const s = await this.records.state(def.name);
      const paused = s?.paused ?? def.paused;
      const running = s?.running && s.running.until.getTime() > now.getTime() ? { runId: s.running.runId } : undefined;
      out.push({ job: def, paused, next: paused ? undefined : cron.next(now), running, last: s?.last ?? undefined });
    }
    return out;
  }

  async history(name: string, limit: number): Promise<JobRun[]> {
    this.get(name);
    return this.records.history(name, limit);
  }

  /** Pauses or resumes the job's scheduled runs (stored; shared by every process). False when it already was. */
  async setPaused(name: string, paused: boolean, by: string): Promise<boolean> {
    const { def, cron } = this.get(name);
    const now = this.deps.clock.date();
    const latest = cron.latest(now);
    const { result } = await this.records.mutate(name, () => initialJobState(def), (s) => {
      if (s.paused === paused) return false;
      s.paused = paused;
      s.pausedBy = paused ? by : null;
      s.pausedAt = paused ? now : null;
      s.pauseNoted = false;
      // The slots of the pause were handled by being paused: catch-up counts from here.
      if (!paused && latest && (!s.lastSlot || s.lastSlot.getTime() < latest.getTime())) s.lastSlot = latest;
      return true;
    });
    return result;
  }

  /** Starts a run now and returns its id at once; the result is posted to the job's channel when it is done. */
  async runNow(name: string, by: string, parentInvocationId: string): Promise<JobRun> {
    const { def } = this.get(name);
    const started = await beginRun(this.ctx, def, 'manual', undefined, by, parentInvocationId);
    if (!started) throw new UserError('conflict', `job ${name} could not be claimed; try again`);
    if (started.skipped) throw new UserError('conflict', `job ${name} is running already: ${started.skipped}`);
    return started.run;
  }

  private get(name: string): { def: JobDefinition; cron: CronSchedule } {
    const j = this.jobs.get(name);
    if (!j) throw new UserError('not_found', `No job "${name}" (jobs: ${this.names().join(', ') || 'none configured'})`);
    return j;
  }

  /** The next timer of the job; a slot further away than MAX_TIMER_MS is reached by re-arming. */
  private arm(name: string): void {
    const j = this.jobs.get(name);
    if (!j || !this.started) return;
    const now = this.deps.clock.now();
    const next = j.cron.next(new Date(now));
    if (!next) return;
    const delay = next.getTime() - now;
    const timer = delay > MAX_TIMER_MS
      ? this.deps.clock.setTimeout(() => this.arm(name), MAX_TIMER_MS)
      : this.deps.clock.setTimeout(() => {
        this.arm(name);
        this.track(this.tick(j.def, next, 'schedule'));
      }, delay);
    this.timers.set(name, timer);
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async tick(def: JobDefinition, slot: Date, trigger: RunTrigger): Promise<void> {
    try {
      await beginRun(this.ctx, def, trigger, slot, 'scheduler', undefined);
    } catch (e) {
      this.deps.log.error({ err: e, job: def.name }, `job ${def.name} could not start: ${errorMessage(e)}`);
    }
  }
}

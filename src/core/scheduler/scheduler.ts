/**
 * The scheduler: arms a timer on the injected clock for each job's next slot, claims each slot
 * once across processes (a unique run record), never overlaps a job with itself, runs the
 * command through the router as `system:job:<name>` with a timeout, posts the result through the
 * outbox, raises (and resolves) a job alert, and reports runs missed while the bot was down.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import type { CommandRunner, RouterResult } from '../invocation.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store/types.js';
import type { WebhookPayload } from '../alerts/payload.js';
import { UserError, errorMessage } from '../errors.js';
import { newInvocationId } from '../ids.js';
import { CronSchedule, MAX_TIMER_MS } from './cron.js';
import { JobRecords } from './records.js';
import type { MaintenanceWindows } from '../maintenance/port.js';
import { isFailure, jobAlert, missedMessage, resultMessage, shouldNotify, skippedMessage, timeoutMessage } from './notice.js';
import type { JobDefinition, JobRun, JobState, RunState, RunTrigger } from './types.js';

/** How long past its timeout a run's hold on the job lasts before another process may take over. */
const GRACE_MS = 60_000;

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

export interface JobView {
  job: JobDefinition;
  paused: boolean;
  next?: Date | undefined;
  running?: { runId: string } | undefined;
  last?: JobState['last'] | undefined;
}

export const jobSubject = (name: string) => ({ id: `system:job:${name}`, display: `job ${name}` });

export class Scheduler {
  private readonly records: JobRecords;
  private readonly jobs = new Map<string, { def: JobDefinition; cron: CronSchedule }>();
  private readonly timers = new Map<string, Timer>();
  private readonly inflight = new Set<Promise<void>>();
  private started = false;

  constructor(jobs: readonly JobDefinition[], private readonly deps: SchedulerDeps) {
    this.records = new JobRecords(deps.store);
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
        await this.catchUp(def, cron);
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
    const { result } = await this.records.mutate(name, () => this.initialState(def), (s) => {
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
    const started = await this.begin(def, 'manual', undefined, by, parentInvocationId);
    if (!started) throw new UserError('conflict', `job ${name} could not be claimed; try again`);
    if (started.skipped) throw new UserError('conflict', `job ${name} is running already: ${started.skipped}`);
    return started.run;
  }

  private get(name: string): { def: JobDefinition; cron: CronSchedule } {
    const j = this.jobs.get(name);
    if (!j) throw new UserError('not_found', `No job "${name}" (jobs: ${this.names().join(', ') || 'none configured'})`);
    return j;
  }

  private initialState(def: JobDefinition): Omit<JobState, '_id' | 'version'> {
    return { paused: def.paused, pausedBy: def.paused ? 'config' : null, pausedAt: null, pauseNoted: false, running: null, lastSlot: null, last: null, failingSince: null };
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
      await this.begin(def, trigger, slot, 'scheduler', undefined);
    } catch (e) {
      this.deps.log.error({ err: e, job: def.name }, `job ${def.name} could not start: ${errorMessage(e)}`);
    }
  }

  /**
   * Claims the run (once per slot across processes), then takes the job's hold unless it is
   * paused (scheduled runs) or another run still holds it: then the run is recorded `skipped`
   * and, for an overlap, said so in the channel. A pause is recorded at its first tick only;
   * its later ticks leave no record. Undefined when another process has the slot (or the tick
   * is one of a pause already recorded).
   */
  private async begin(def: JobDefinition, trigger: RunTrigger, slot: Date | undefined, by: string, parentInvocationId: string | undefined): Promise<{ run: JobRun; skipped?: string } | undefined> {
    const { clock } = this.deps;
    if (trigger !== 'manual') {
      const s = await this.records.state(def.name);
      if (s?.paused && s.pauseNoted) return undefined;
    }
    const now = clock.date();
    const runId = newInvocationId();
    const run: JobRun = {
      _id: runId, claim: slot ? `${def.name}@${slot.toISOString()}` : `${def.name}@manual:${runId}`, job: def.name, trigger,
      ...(slot ? { slot } : {}), by, state: 'claimed', startedAt: now, version: 1,
    };
    if (!(await this.records.claim(run))) return undefined;
    const { result: hold } = await this.records.mutate(def.name, () => this.initialState(def), (s) => {
      if (slot && (!s.lastSlot || s.lastSlot.getTime() < slot.getTime())) s.lastSlot = slot;
      if (s.paused && trigger !== 'manual') {
        const noted = Boolean(s.pauseNoted);
        s.pauseNoted = true;
        return { skip: `paused by ${s.pausedBy ?? 'someone'}`, overlap: false, stale: undefined, noted };
      }
      if (s.running && s.running.until.getTime() > now.getTime()) return { skip: `run ${s.running.runId} is still running`, overlap: true, stale: undefined, noted: false };
      const stale = s.running?.runId;
      s.running = { runId, until: new Date(now.getTime() + def.timeoutMs + GRACE_MS) };
      return { skip: undefined, overlap: false, stale, noted: false };
    });
    if (hold.stale) await this.records.updateRun(hold.stale, ['claimed', 'running'], { state: 'interrupted', reason: 'its process stopped while it ran (found past its deadline)' });
    if (hold.noted) {
      await this.records.dropRun(runId);
      return undefined;
    }
    if (hold.skip) {
      await this.records.updateRun(runId, ['claimed'], { state: 'skipped', reason: hold.skip, finishedAt: now, durationMs: 0 });
      if (hold.overlap && trigger !== 'manual') await this.skippedOverlap(def, { ...run, state: 'skipped' }, hold.skip);
      return { run: { ...run, state: 'skipped', reason: hold.skip }, skipped: hold.skip };
    }
    await this.records.updateRun(runId, ['claimed'], { state: 'running' });
    const started = { ...run, state: 'running' as const };
    this.track(this.execute(def, started, parentInvocationId ?? runId));
    return { run: started };
  }

  private async skippedOverlap(def: JobDefinition, run: JobRun, reason: string): Promise<void> {
    const message = `${reason}; this tick (${run.slot?.toISOString()}) is skipped.`;
    this.deps.log.warn({ job: def.name, runId: run._id }, `job ${def.name} skipped: ${message}`);
    await this.deps.audit.systemEvent({ action: 'job.skipped', subject: jobSubject(def.name).id, message, detail: { job: def.name, runId: run._id } });
    if (await this.mayPost(def)) await this.deps.outbox.enqueue(`job:${run._id}`, def.channel as string, skippedMessage(def, run, message));
  }

  /** The job has a channel, and its target is not under maintenance (then it stays quiet, and says so in the log). */
  private async mayPost(def: JobDefinition): Promise<boolean> {
    if (!def.channel) return false;
    const target = this.deps.targetOf?.(def.run);
    const window = target ? await this.deps.maintenance?.activeFor(target, this.deps.clock.date()) : undefined;
    if (window) this.deps.log.info({ job: def.name, target, maintenance: window.id }, `job ${def.name}: ${target} is under maintenance; nothing posted`);
    return !window;
  }

  /** Runs the command with the job's timeout, records how it ended, posts, and raises or resolves the job alert. */
  private async execute(def: JobDefinition, run: JobRun, parentInvocationId: string): Promise<void> {
    const { clock, runner, log } = this.deps;
    const started = clock.now();
    let timer: Timer | undefined;
    // At the job's timeout the command is aborted (its handler's signal fires) and the run is marked `timeout`.
    const abort = new AbortController();
    const timedOut = new Promise<'timeout'>((resolve) => { timer = clock.setTimeout(() => { abort.abort(); resolve('timeout'); }, def.timeoutMs); });
    const call = runner.run(def.run, { subject: jobSubject(def.name), surface: 'scheduler', ...(def.channel ? { channel: def.channel } : {}), parentInvocationId, signal: abort.signal });
    let result: RouterResult | 'timeout' | Error;
    try {
      result = await Promise.race([call, timedOut]);
    } catch (e) {
      result = e instanceof Error ? e : new Error(String(e));
    } finally {
      timer?.cancel();
    }
    const durationMs = clock.now() - started;
    const finishedAt = clock.date();
    let state: RunState;
    let message: Reply;
    let set: Partial<JobRun>;
    if (result === 'timeout') {
      state = 'timeout';
      message = timeoutMessage(def, run, durationMs);
      set = { reason: `did not finish within ${def.timeoutMs}ms` };
      void call.then((late) => log.warn({ job: def.name, runId: run._id, outcome: late.outcome }, `job ${def.name} stopped after its timeout`), () => undefined);
    } else if (result instanceof Error) {
      state = 'failed';
      message = resultMessage(def, run, { title: 'could not run', status: 'error', blocks: [{ type: 'text', text: result.message }] }, durationMs);
      set = { reason: result.message };
    } else {
      state = result.pending ? 'held' : result.outcome === 'ok' ? 'ok' : 'failed';
      message = resultMessage(def, run, result.reply, durationMs);
      set = {
        invocationId: result.invocationId, status: result.reply.status, title: result.reply.title,
        ...(result.pending ? { reason: `waits for approval ${result.pending.approval}` } : result.error ? { reason: result.error.message } : {}),
      };
    }
    await this.records.updateRun(run._id, ['running'], { ...set, state, finishedAt, durationMs });
    const title = set.title ?? message.title;
    const { result: alert, before } = await this.records.mutate(def.name, () => this.initialState(def), (s) => {
      if (s.running?.runId === run._id) s.running = null;
      s.last = { runId: run._id, state, title, durationMs, finishedAt };
      if (!def.alert) return undefined;
      if (isFailure(state)) {
        s.failingSince ??= finishedAt;
        return { status: 'firing' as const, since: s.failingSince };
      }
      if (state === 'ok' && s.failingSince) {
        const since = s.failingSince;
        s.failingSince = null;
        return { status: 'resolved' as const, since };
      }
      return undefined;
    });
    log.info({ job: def.name, runId: run._id, state, durationMs }, `job ${def.name} ${state}`);
    if (state === 'timeout') await this.deps.audit.systemEvent({ action: 'job.timeout', subject: jobSubject(def.name).id, message: `job ${def.name} run ${run._id} timed out`, detail: { job: def.name, runId: run._id } });
    if (shouldNotify(def, state, before.last) && (await this.mayPost(def))) await this.deps.outbox.enqueue(`job:${run._id}`, def.channel as string, message);
    if (alert) {
      const summary = alert.status === 'firing' ? `Job ${def.name} ${state === 'timeout' ? 'timed out' : 'failed'}: ${title}` : `Job ${def.name} ran fine again`;
      await this.deps.alerts.receive(jobAlert(def, { ...alert, now: finishedAt, run, target: this.deps.targetOf?.(def.run), summary }));
    }
  }

  /**
   * At start-up: the latest slot due is later than the last one any process handled, so runs
   * were missed while the bot was down. Reported to the channel and the audit once (the report
   * claims that slot), and run once now when `catchUp: run`. The first start only records where
   * counting begins.
   */
  private async catchUp(def: JobDefinition, cron: CronSchedule): Promise<void> {
    const now = this.deps.clock.date();
    const latest = cron.latest(now);
    if (!latest) return;
    const { result: missedSince } = await this.records.mutate(def.name, () => this.initialState(def), (s) => {
      if (!s.lastSlot) {
        s.lastSlot = latest;
        return undefined;
      }
      if (s.lastSlot.getTime() >= latest.getTime()) return undefined;
      const since = s.lastSlot;
      if (s.paused) s.lastSlot = latest;
      return s.paused ? undefined : since;
    });
    if (!missedSince) return;
    const missed = cron.countBetween(missedSince, now);
    if (def.catchUp === 'run') {
      const started = await this.begin(def, 'catch-up', latest, 'scheduler', undefined);
      if (started) await this.reportMissed(def, missed, latest, 'run', started.run._id);
      return;
    }
    const runId = newInvocationId();
    const run: JobRun = {
      _id: runId, claim: `${def.name}@${latest.toISOString()}`, job: def.name, trigger: 'catch-up', slot: latest, by: 'scheduler',
      state: 'skipped', reason: `missed ${missed} run(s) while the bot was down (catchUp: skip)`, startedAt: now, finishedAt: now, durationMs: 0, version: 1,
    };
    if (!(await this.records.claim(run))) return;
    await this.records.mutate(def.name, () => this.initialState(def), (s) => {
      if (!s.lastSlot || s.lastSlot.getTime() < latest.getTime()) s.lastSlot = latest;
    });
    await this.reportMissed(def, missed, latest, 'skip', runId);
  }

  private async reportMissed(def: JobDefinition, missed: number, latest: Date, action: 'run' | 'skip', runId: string): Promise<void> {
    this.deps.log.warn({ job: def.name, missed, latest, action }, `job ${def.name}: ${missed} run(s) missed while down`);
    await this.deps.audit.systemEvent({
      action: 'job.missed', subject: jobSubject(def.name).id,
      message: `job ${def.name}: ${missed} run(s) missed while the bot was down; catchUp: ${action}`,
      detail: { job: def.name, missed, latest: latest.toISOString(), runId },
    });
    if (await this.mayPost(def)) await this.deps.outbox.enqueue(`job:${runId}:missed`, def.channel as string, missedMessage(def, missed, latest, action));
  }
}

/**
 * Runs runbooks: a run is a durable record (run.ts) driven in the background by one process at a
 * time (a coordination lock, extended while it runs, and the owner recorded on the run). Each
 * step is a child invocation through the router's CommandRunner, as the subject that started
 * the run, with the run's invocation id as its parent. A step behind an approval leaves the run
 * `waiting` until the approvals service reports the request decided. After a restart, a run
 * whose process is gone is marked `interrupted` at its step; only `runbook resume` goes on.
 */
import type { Logger } from 'pino';
import type { Risk, Subject } from '../command.js';
import type { Clock } from '../clock.js';
import type { Coordination, Lock } from '../coordination/types.js';
import type { CommandRunner, RouterResult } from '../invocation.js';
import type { ApprovalDecided, ApprovalEvents } from '../approvals/port.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store/types.js';
import type { AuditOwner } from '../audit/entry.js';
import { ownerGone, pidAlive, thisProcess } from '../audit/owner.js';
import { errorMessage, UserError } from '../errors.js';
import { newInvocationId } from '../ids.js';
import { watchRepetitions, type RunbookDefinition, type RunbookStep } from './definition.js';
import { renderLine } from './template.js';
import { resolveValues, type RunbookAlert } from './values.js';
import { progressReply, stepReply } from './progress.js';
import { ACTIVE_STATES, newRunId, RunStore, withStep, type RunRecord, type StepRecord } from './run.js';

/** The outbox, as far as runs use it: one document per chat message, updated in place. */
export interface RunOutbox {
  enqueue(key: string, channel: string, reply: Reply, opts?: { kind?: 'message' | 'reply'; parent?: string; priority?: number }): Promise<void>;
}

export interface RunbooksDeps {
  definitions: Readonly<Record<string, RunbookDefinition>>;
  store: Store;
  coordination: Coordination;
  outbox: RunOutbox;
  runner: CommandRunner;
  clock: Clock;
  log: Logger;
  /** Configured target names. */
  targets: () => readonly string[];
  alerts?: { find(id: string): Promise<RunbookAlert> };
  targetOfAlert?: (g: RunbookAlert) => string | undefined;
  /** The approvals service; without it a runbook with an approval step does not start. */
  approvals?: ApprovalEvents;
  /** The risk of the command a (template) line runs, undefined for an unknown command. */
  riskOf?: (line: string) => Risk | undefined;
  /** The runbook an alert route starts by itself when a group opens (`autoRun: true`). */
  autoRunOf?: (route: string) => string | undefined;
  audit?: { systemEvent(e: { action: string; subject?: string; message?: string; detail?: Record<string, unknown> }): Promise<void> };
  me?: AuditOwner;
  alive?: (pid: number) => boolean;
  leaseMs?: number;
}

export interface StartInput {
  runbook: string;
  target?: string | undefined;
  params?: Record<string, string> | undefined;
  alert?: string | undefined;
  subject: Subject;
  surface: string;
  channel?: string | undefined;
  /** Extra `<surface>:<channel>` addresses for the living message (an alert route's channels). */
  channels?: readonly string[];
  invocationId: string;
}

/** Surfaces whose channel can carry a living message. */
const CHAT_SURFACES = ['slack', 'discord', 'console'];
const DEFAULT_LEASE_MS = 30_000;

/** A step passed: the command ran ok, and with `expect: ok` (and for watch) its reply says so too. */
function passed(step: RunbookStep, r: RouterResult): boolean {
  if (r.outcome !== 'ok') return false;
  if (step.kind === 'run' && step.expect === 'ok') return r.reply.status === 'ok' || r.reply.status === 'info';
  return r.reply.status !== 'fail' && r.reply.status !== 'error';
}

function summaryOf(step: RunbookStep, r: RouterResult): string {
  if (r.outcome !== 'ok') return r.error?.message ?? r.reply.title;
  if (!passed(step, r)) return `expected ok, got ${r.reply.status}: ${r.reply.title}`;
  return r.reply.title;
}

export class Runbooks {
  private readonly runs: RunStore;
  private readonly me: AuditOwner;
  private readonly leaseMs: number;
  private readonly driving = new Map<string, Promise<void>>();
  private readonly sleepers = new Map<string, () => void>();
  private unsubscribe: (() => void) | undefined;
  private stopping = false;

  constructor(private readonly deps: RunbooksDeps) {
    this.runs = new RunStore(deps.store);
    this.me = deps.me ?? thisProcess;
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** The runbooks of a reloaded config: runs that start from now on use them; a run under way keeps the steps it started with. */
  setDefinitions(definitions: Readonly<Record<string, RunbookDefinition>>): void {
    this.deps.definitions = definitions;
  }

  names(): string[] {
    return Object.keys(this.deps.definitions);
  }

  definition(name: string): RunbookDefinition {
    const d = this.deps.definitions[name];
    if (!d) throw new UserError('not_found', `unknown runbook "${name}" (runbooks: ${this.names().join(', ') || 'none configured'})`);
    return d;
  }

  /** The step lines a start with these inputs would run (for `--dry-run` and the start itself). */
  async plan(input: Pick<StartInput, 'runbook' | 'target' | 'params' | 'alert'>): Promise<{ lines: string[]; values: Record<string, string>; target?: string; alert?: RunbookAlert }> {
    const definition = this.definition(input.runbook);
    let alert: RunbookAlert | undefined;
    if (input.alert !== undefined) {
      if (!this.deps.alerts) throw new UserError('unavailable', 'alerts are not available in this process');
      alert = await this.deps.alerts.find(input.alert);
    }
    const { values, target } = resolveValues({ runbook: input.runbook, definition, target: input.target, params: input.params, alert, targetOfAlert: this.deps.targetOfAlert, targets: this.deps.targets() });
    const lines = definition.steps.map((s) => renderLine(s.line, values));
    return { lines, values, ...(target ? { target } : {}), ...(alert ? { alert } : {}) };
  }

  /** Creates the run and starts driving it in the background; returns at once. */
  async startRun(input: StartInput): Promise<RunRecord> {
    if (this.stopping) throw new UserError('unavailable', 'the bot is shutting down');
    const definition = this.definition(input.runbook);
    if (definition.steps.some((s) => s.kind === 'run' && s.approval) && !this.deps.approvals) {
      throw new UserError('unavailable', `runbook ${input.runbook} has an approval step, and this bot has no approvals service: nothing was started`);
    }
    const { lines, values, target, alert } = await this.plan(input);
    const now = this.deps.clock.now();
    const here = input.channel && CHAT_SURFACES.includes(input.surface) ? [`${input.surface}:${input.channel}`] : [];
    const channels = [...new Set([...here, ...(input.channels ?? [])])];
    const run = await this.runs.insert({
      _id: newRunId(), runbook: input.runbook, ...(definition.description ? { description: definition.description } : {}),
      definition: definition.steps, values: Object.fromEntries(definition.params.map((p) => [p, values[p] as string])), ...(target ? { target } : {}), ...(alert ? { alert: alert._id } : {}),
      subject: input.subject, surface: input.surface, ...(input.channel ? { channel: input.channel } : {}),
      invocationId: input.invocationId, channels, state: 'running', step: 0,
      steps: definition.steps.map((s, i): StepRecord => ({ state: 'pending', line: lines[i] as string, ...(s.kind === 'watch' ? { done: 0, total: watchRepetitions(s) } : {}) })),
      leaseUntil: now + this.leaseMs, createdAt: now, updatedAt: now,
    } as Omit<RunRecord, 'version'>);
    await this.publish(run);
    this.kick(run._id);
    return run;
  }

  get(id: string): Promise<RunRecord | null> {
    return this.runs.get(id);
  }

  async mustGet(id: string): Promise<RunRecord> {
    const run = await this.runs.get(id);
    if (!run) throw new UserError('not_found', `no runbook run "${id}" (\`runbook list\` shows recent runs)`);
    return run;
  }

  recent(limit = 10): Promise<RunRecord[]> {
    return this.runs.find({}, limit);
  }

  async cancel(id: string, who: string): Promise<RunRecord> {
    const now = this.deps.clock.now();
    let changed = false;
    const run = await this.runs.mutate(id, (r) => {
      changed = false;
      if (!ACTIVE_STATES.includes(r.state) && r.state !== 'interrupted') return undefined;
      changed = true;
      const cur = r.steps[r.step];
      const steps = cur && ['running', 'waiting', 'pending', 'interrupted'].includes(cur.state) ? withStep(r, r.step, { state: 'cancelled', endedAt: now }) : r.steps;
      return { state: 'cancelled', steps, reason: `cancelled by ${who}`, endedAt: now, waiting: undefined, owner: undefined };
    }, now);
    if (!run) throw new UserError('not_found', `no runbook run "${id}"`);
    if (!changed) throw new UserError('conflict', `run ${id} is ${run.state}; only a running, waiting or interrupted run can be cancelled`);
    this.sleepers.get(id)?.();
    await this.publish(run);
    return run;
  }

  async resume(id: string, who: string): Promise<RunRecord> {
    const now = this.deps.clock.now();
    let changed = false;
    const run = await this.runs.mutate(id, (r) => {
      changed = false;
      if (r.state !== 'interrupted') return undefined;
      changed = true;
      const cur = r.steps[r.step];
      const steps = cur && cur.state === 'interrupted' ? withStep(r, r.step, { state: 'pending' }) : r.steps;
      return { state: 'running', steps, reason: `resumed by ${who} at step ${r.step + 1}`, owner: undefined, leaseUntil: now + this.leaseMs };
    }, now);
    if (!run) throw new UserError('not_found', `no runbook run "${id}"`);
    if (!changed) throw new UserError('conflict', `run ${id} is ${run.state}; only an interrupted run can be resumed`);
    await this.publish(run);
    this.kick(id);
    return run;
  }

  /** Marks runs whose process is gone as interrupted, and listens for approval decisions. */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.approvals?.onDecided((e) => this.decided(e));
    await this.sweep();
  }

  /** Runs left `running` by a process that is gone (or whose lease ran out) become `interrupted`. */
  async sweep(): Promise<number> {
    const alive = this.deps.alive ?? pidAlive;
    let n = 0;
    for (const r of await this.runs.find({ state: 'running' }, 500)) {
      if (this.driving.has(r._id)) continue;
      const now = this.deps.clock.now();
      const gone = r.owner ? ownerGone(r.owner, this.me, alive) : false;
      const expired = (r.leaseUntil ?? 0) < now;
      if (!gone && !expired) continue;
      const who = r.owner ? `pid ${r.owner.pid} on ${r.owner.host}` : 'no process';
      const run = await this.interrupt(r._id, `interrupted at step ${r.step + 1}: the process running it (${who}) is gone; \`runbook resume ${r._id}\` goes on from there`, (x) => x.state === 'running' && x.version === r.version);
      if (run) n++;
    }
    return n;
  }

  /** Graceful stop: runs this process drives become `interrupted` at their step (resumable). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    for (const wake of this.sleepers.values()) wake();
    for (const id of this.driving.keys()) {
      await this.interrupt(id, 'interrupted: the bot was stopped while it ran; `runbook resume` goes on from this step', (x) => x.state === 'running');
    }
    await Promise.allSettled([...this.driving.values()]);
  }

  /** Settles once every run this process drives has paused or ended (tests). */
  async idle(): Promise<void> {
    while (this.driving.size) await Promise.allSettled([...this.driving.values()]);
  }

  /** An alert event (the lead wires AlertService's onEvent here): `opened` starts the route's autoRun runbook. */
  async onAlertEvent(e: { type: string; group: RunbookAlert }): Promise<void> {
    if (e.type !== 'opened' || !this.deps.autoRunOf) return;
    const byRunbook = new Map<string, string[]>();
    for (const r of e.group.routes ?? []) {
      const name = this.deps.autoRunOf(r.route);
      if (name) byRunbook.set(name, [...(byRunbook.get(name) ?? []), r.channel]);
    }
    for (const [name, channels] of byRunbook) {
      const why = this.autoRunRefusal(name);
      if (why) {
        this.deps.log.warn({ runbook: name, alert: e.group._id }, `autoRun skipped: ${why}`);
        continue;
      }
      if (!(await this.deps.coordination.once(`runbook:auto:${e.group._id}:${name}`, 7 * 86_400_000))) continue;
      const subject = { id: `system:runbook:${name}`, display: `autoRun ${name}` };
      try {
        const run = await this.startRun({ runbook: name, alert: e.group._id, subject, surface: 'alerts', channels, invocationId: newInvocationId() });
        await this.deps.audit?.systemEvent({ action: 'runbook.autorun', subject: subject.id, message: `runbook ${name} started on alert ${e.group._id}: run ${run._id}`, detail: { run: run._id, alert: e.group._id } });
      } catch (err) {
        this.deps.log.warn({ err, runbook: name, alert: e.group._id }, `autoRun of ${name} failed to start: ${errorMessage(err)}`);
      }
    }
  }

  /** Why a runbook may not run by itself: a step before its first approval that is not `read`. */
  autoRunRefusal(name: string): string | undefined {
    const def = this.deps.definitions[name];
    if (!def) return `unknown runbook ${name}`;
    for (const [i, s] of def.steps.entries()) {
      if (s.kind === 'run' && s.approval) return undefined;
      const risk = this.deps.riskOf?.(s.line);
      if (risk !== 'read') return `step ${i + 1} (${s.line}) is ${risk ?? 'of unknown risk'}, and only read steps may run before the first approval`;
    }
    return undefined;
  }

  // --- driving ---------------------------------------------------------------------------------

  private kick(id: string): void {
    if (this.driving.has(id) || this.stopping) return;
    const p = this.drive(id).catch((e) => this.deps.log.error({ err: e, run: id }, `runbook run ${id} stopped on an error: ${errorMessage(e)}`)).finally(() => this.driving.delete(id));
    this.driving.set(id, p);
  }

  private async drive(id: string): Promise<void> {
    const lock = await this.deps.coordination.tryLock(`runbook:${id}`, this.leaseMs);
    if (!lock) {
      // Held by another process, or by one that died (its lease runs out): look again later.
      const run = await this.runs.get(id);
      if (run?.state === 'running') this.deps.clock.setTimeout(() => this.kick(id), Math.max(1000, Math.floor(this.leaseMs / 3)));
      return;
    }
    const lease = this.keepLease(id, lock);
    try {
      const claimed = await this.runs.mutate(id, (r) => (r.state === 'running' ? { owner: this.me, leaseUntil: this.deps.clock.now() + this.leaseMs } : undefined), this.deps.clock.now());
      if (claimed?.state !== 'running') return;
      for (;;) {
        if (this.stopping || lease.lost) return;
        const run = await this.runs.get(id);
        if (!run || run.state !== 'running') return;
        if (run.step >= run.steps.length) {
          const now = this.deps.clock.now();
          const done = await this.runs.mutate(id, (r) => (r.state === 'running' ? { state: 'succeeded', endedAt: now, owner: undefined } : undefined), now);
          if (done) await this.publish(done);
          return;
        }
        await this.runStep(run, run.step);
      }
    } finally {
      lease.stop();
      await lock.release();
    }
  }

  private keepLease(id: string, lock: Lock): { lost: boolean; stop(): void } {
    const state = { lost: false, stopped: false, timer: undefined as { cancel(): void } | undefined };
    const tick = (): void => {
      state.timer = this.deps.clock.setTimeout(() => {
        void (async () => {
          if (state.stopped) return;
          if (!(await lock.extend(this.leaseMs))) {
            state.lost = true;
            this.sleepers.get(id)?.();
            return;
          }
          const now = this.deps.clock.now();
          await this.runs.mutate(id, (r) => (r.state === 'running' ? { leaseUntil: now + this.leaseMs } : undefined), now).catch(() => undefined);
          if (!state.stopped) tick();
        })();
      }, Math.max(1000, Math.floor(this.leaseMs / 3)));
    };
    tick();
    return {
      get lost() { return state.lost; },
      stop() { state.stopped = true; state.timer?.cancel(); },
    };
  }

  private childRun(run: RunRecord, line: string, approval: boolean): Promise<RouterResult> {
    return this.deps.runner.run(line, {
      subject: run.subject, surface: 'runbook', parentInvocationId: run.invocationId,
      ...(run.channel ? { channel: run.channel } : {}),
      ...(approval ? { approval: 'required' as const } : {}),
    });
  }

  private async runStep(run: RunRecord, i: number): Promise<void> {
    const step = run.definition[i] as RunbookStep;
    const now = this.deps.clock.now();
    const started = await this.runs.mutate(run._id, (r) => (r.state === 'running' && r.step === i
      ? { steps: withStep(r, i, { state: 'running', startedAt: r.steps[i]?.startedAt ?? now, summary: undefined }) } : undefined), now);
    if (started?.state !== 'running' || started.step !== i) return;
    await this.publish(started);
    const line = (started.steps[i] as StepRecord).line;
    if (step.kind === 'watch') return this.watch(started, i, step);
    if (step.approval && !this.deps.approvals) {
      await this.finishStep(run._id, i, step, undefined, 'this bot has no approvals service; the step needs an approval');
      return;
    }
    const result = await this.childRun(started, line, step.approval);
    if (result.pending) {
      const t = this.deps.clock.now();
      const waiting = await this.runs.mutate(run._id, (r) => (r.state === 'running' && r.step === i
        ? { state: 'waiting', waiting: result.pending?.approval, owner: undefined, steps: withStep(r, i, { state: 'waiting', approval: result.pending?.approval, invocationId: result.invocationId, summary: result.reply.title }) }
        : undefined), t);
      if (waiting) await this.publish(waiting, i, result);
      return;
    }
    await this.finishStep(run._id, i, step, result);
  }

  /** Records a step's end; the run goes on (passed or `continue`), or fails here. */
  private async finishStep(id: string, i: number, step: RunbookStep, result: RouterResult | undefined, failure?: string): Promise<RunRecord | null> {
    const now = this.deps.clock.now();
    const ok = result !== undefined && failure === undefined && passed(step, result);
    const summary = failure ?? (result ? summaryOf(step, result) : 'no result');
    const run = await this.runs.mutate(id, (r) => {
      if (r.step !== i) return undefined;
      const steps = withStep(r, i, {
        state: ok ? 'ok' : 'failed', endedAt: now, summary,
        ...(result ? { invocationId: result.invocationId, status: result.reply.status } : {}),
      });
      const active = r.state === 'running' || r.state === 'waiting';
      const goOn = ok || step.continue;
      const set: Partial<RunRecord> = { steps, ...(goOn ? { step: i + 1 } : {}) };
      if (active && !goOn) Object.assign(set, { state: 'failed', endedAt: now, reason: `step ${i + 1} failed: ${summary}`, owner: undefined, waiting: undefined });
      else if (r.state === 'waiting') Object.assign(set, { state: 'running', waiting: undefined, leaseUntil: now + this.leaseMs });
      return set;
    }, now);
    if (run) await this.publish(run, i, result);
    return run;
  }

  private async watch(run: RunRecord, i: number, step: Extract<RunbookStep, { kind: 'watch' }>): Promise<void> {
    const rec = run.steps[i] as StepRecord;
    const total = rec.total ?? watchRepetitions(step);
    let done = rec.done ?? 0;
    let last: RouterResult | undefined;
    while (done < total) {
      if (done > 0) await this.sleep(run._id, step.everyMs);
      const cur = await this.runs.get(run._id);
      if (this.stopping || cur?.state !== 'running' || cur.step !== i) return;
      last = await this.childRun(cur, rec.line, false);
      done++;
      if (!passed(step, last)) {
        await this.finishStep(run._id, i, step, last, `repetition ${done} of ${total}: ${summaryOf(step, last)}`);
        return;
      }
      const now = this.deps.clock.now();
      const progressed = await this.runs.mutate(run._id, (r) => (r.step === i ? { steps: withStep(r, i, { done, invocationId: last?.invocationId, status: last?.reply.status }) } : undefined), now);
      if (progressed && done < total) await this.publish(progressed, i, last);
    }
    await this.finishStep(run._id, i, step, last);
  }

  private sleep(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => { this.sleepers.delete(id); resolve(); }, ms);
      this.sleepers.set(id, () => { timer.cancel(); this.sleepers.delete(id); resolve(); });
    });
  }

  private async interrupt(id: string, reason: string, when: (r: RunRecord) => boolean): Promise<RunRecord | null> {
    const now = this.deps.clock.now();
    let changed = false;
    const run = await this.runs.mutate(id, (r) => {
      changed = false;
      if (!when(r)) return undefined;
      changed = true;
      const cur = r.steps[r.step];
      const steps = cur && (cur.state === 'running' || cur.state === 'pending') ? withStep(r, r.step, { state: 'interrupted' }) : r.steps;
      return { state: 'interrupted', steps, reason, owner: undefined };
    }, now);
    if (run && changed) {
      await this.publish(run);
      await this.deps.audit?.systemEvent({ action: 'runbook.interrupted', message: `run ${id} of ${run.runbook}: ${reason}`, detail: { run: id, step: run.step + 1 } }).catch(() => undefined);
      return run;
    }
    return null;
  }

  private async decided(e: ApprovalDecided): Promise<void> {
    const [run] = await this.runs.find({ waiting: e.requestId, state: 'waiting' }, 1);
    if (!run) return;
    const i = run.step;
    const step = run.definition[i] as RunbookStep;
    if (e.state === 'approved' && e.result) {
      const after = await this.finishStep(run._id, i, step, e.result);
      if (after?.state === 'running') this.kick(run._id);
      return;
    }
    await this.finishStep(run._id, i, { ...step, continue: false }, undefined, `approval ${e.requestId} ${e.state}${e.state === 'approved' ? ' but the command did not run' : ''}`);
  }

  private async publish(run: RunRecord, i?: number, result?: RouterResult): Promise<void> {
    const now = this.deps.clock.now();
    for (const ch of run.channels) {
      const key = `rb:${run._id}:${ch}`;
      try {
        await this.deps.outbox.enqueue(key, ch, progressReply(run, now));
        if (i !== undefined) await this.deps.outbox.enqueue(`${key}:s${i + 1}`, ch, stepReply(run, i, result, now), { kind: 'reply', parent: key });
      } catch (e) {
        this.deps.log.warn({ err: e, run: run._id, channel: ch }, `runbook message not queued: ${errorMessage(e)}`);
      }
    }
  }
}

/**
 * Runs runbooks: the public service that composes the parts. A run is a durable record (run.ts)
 * driven in the background by one process at a time (driver.ts); each step is a child invocation
 * through the router's CommandRunner (step-runner.ts) and every change shows in the run's living
 * message (living-message.ts). A step behind an approval leaves the run `waiting` until the
 * approvals service reports the request decided. After a restart, a run whose process is gone is
 * marked `interrupted` at its step (recovery.ts); only `runbook resume` goes on. A route with
 * `autoRun` starts its runbook when a group opens (autorun.ts).
 */
import type { ApprovalDecided } from '../approvals/port.js';
import { thisProcess } from '../audit/owner.js';
import { UserError } from '../errors.js';
import { watchRepetitions, type RunbookDefinition, type RunbookStep } from './definition.js';
import { renderLine } from './template.js';
import { resolveValues, type RunbookAlert } from './values.js';
import { ACTIVE_STATES, newRunId, RunStore, withStep, type RunRecord, type StepRecord } from './run.js';
import { LivingMessage } from './living-message.js';
import { StepRunner } from './step-runner.js';
import { RunDriver } from './driver.js';
import { RunRecovery } from './recovery.js';
import { autoRunRefusal, startAutoRuns } from './autorun.js';
import type { RunContext, RunbooksDeps, StartInput } from './ports.js';

export type { RunOutbox, RunbooksDeps, StartInput } from './ports.js';

/** Surfaces whose channel can carry a living message. */
const CHAT_SURFACES = ['slack', 'discord', 'console'];
const DEFAULT_LEASE_MS = 30_000;

export class Runbooks {
  private readonly ctx: RunContext;
  private readonly steps: StepRunner;
  private readonly driver: RunDriver;
  private readonly recovery: RunRecovery;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: RunbooksDeps) {
    this.ctx = {
      deps,
      runs: new RunStore(deps.store),
      me: deps.me ?? thisProcess,
      leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS,
      message: new LivingMessage(deps.outbox, deps.clock, deps.log),
    };
    this.steps = new StepRunner(this.ctx, () => this.driver.stopping);
    this.driver = new RunDriver(this.ctx, this.steps);
    this.recovery = new RunRecovery(this.ctx, (id) => this.driver.has(id));
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
    if (this.driver.stopping) throw new UserError('unavailable', 'the bot is shutting down');
    const definition = this.definition(input.runbook);
    if (definition.steps.some((s) => s.kind === 'run' && s.approval) && !this.deps.approvals) {
      throw new UserError('unavailable', `runbook ${input.runbook} has an approval step, and this bot has no approvals service: nothing was started`);
    }
    const { lines, values, target, alert } = await this.plan(input);
    const now = this.deps.clock.now();
    const here = input.channel && CHAT_SURFACES.includes(input.surface) ? [`${input.surface}:${input.channel}`] : [];
    const channels = [...new Set([...here, ...(input.channels ?? [])])];
    const run = await this.ctx.runs.insert({
      _id: newRunId(), runbook: input.runbook, ...(definition.description ? { description: definition.description } : {}),
      definition: definition.steps, values: Object.fromEntries(definition.params.map((p) => [p, values[p] as string])), ...(target ? { target } : {}), ...(alert ? { alert: alert._id } : {}),
      subject: input.subject, surface: input.surface, ...(input.channel ? { channel: input.channel } : {}),
      invocationId: input.invocationId, channels, state: 'running', step: 0,
      steps: definition.steps.map((s, i): StepRecord => ({ state: 'pending', line: lines[i] as string, ...(s.kind === 'watch' ? { done: 0, total: watchRepetitions(s) } : {}) })),
      leaseUntil: now + this.ctx.leaseMs, createdAt: now, updatedAt: now,
    } as Omit<RunRecord, 'version'>);
    await this.ctx.message.publish(run);
    this.driver.kick(run._id);
    return run;
  }

  get(id: string): Promise<RunRecord | null> {
    return this.ctx.runs.get(id);
  }

  async mustGet(id: string): Promise<RunRecord> {
    const run = await this.ctx.runs.get(id);
    if (!run) throw new UserError('not_found', `no runbook run "${id}" (\`runbook list\` shows recent runs)`);
    return run;
  }

  recent(limit = 10): Promise<RunRecord[]> {
    return this.ctx.runs.find({}, limit);
  }

  async cancel(id: string, who: string): Promise<RunRecord> {
    const now = this.deps.clock.now();
    let changed = false;
    const run = await this.ctx.runs.mutate(id, (r) => {
      changed = false;
      if (!ACTIVE_STATES.includes(r.state) && r.state !== 'interrupted') return undefined;
      changed = true;
      const cur = r.steps[r.step];
      const steps = cur && ['running', 'waiting', 'pending', 'interrupted'].includes(cur.state) ? withStep(r, r.step, { state: 'cancelled', endedAt: now }) : r.steps;
      return { state: 'cancelled', steps, reason: `cancelled by ${who}`, endedAt: now, waiting: undefined, owner: undefined };
    }, now);
    if (!run) throw new UserError('not_found', `no runbook run "${id}"`);
    if (!changed) throw new UserError('conflict', `run ${id} is ${run.state}; only a running, waiting or interrupted run can be cancelled`);
    this.steps.wake(id);
    await this.ctx.message.publish(run);
    return run;
  }

  async resume(id: string, who: string): Promise<RunRecord> {
    const run = await this.recovery.resume(id, who);
    this.driver.kick(id);
    return run;
  }

  /** Marks runs whose process is gone as interrupted, and listens for approval decisions. */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.approvals?.onDecided((e) => this.decided(e));
    await this.sweep();
  }

  /** Runs left `running` by a process that is gone (or whose lease ran out) become `interrupted`. */
  sweep(): Promise<number> {
    return this.recovery.sweep();
  }

  /** Graceful stop: runs this process drives become `interrupted` at their step (resumable). */
  async stop(): Promise<void> {
    this.driver.stopping = true;
    this.unsubscribe?.();
    this.steps.wakeAll();
    for (const id of this.driver.ids()) {
      await this.recovery.interrupt(id, 'interrupted: the bot was stopped while it ran; `runbook resume` goes on from this step', (x) => x.state === 'running');
    }
    await this.driver.settled();
  }

  /** Settles once every run this process drives has paused or ended (tests). */
  idle(): Promise<void> {
    return this.driver.idle();
  }

  /** An alert event (the lead wires AlertService's onEvent here): `opened` starts the route's autoRun runbook. */
  async onAlertEvent(e: { type: string; group: RunbookAlert }): Promise<void> {
    if (e.type !== 'opened') return;
    await startAutoRuns(e.group, this.deps, (name) => this.autoRunRefusal(name), (input) => this.startRun(input));
  }

  /** Why a runbook may not run by itself: a step before its first approval that is not `read`. */
  autoRunRefusal(name: string): string | undefined {
    return autoRunRefusal(this.deps.definitions[name], name, this.deps.riskOf);
  }

  /** An approval a waiting step asked for was decided: the step ends with the command's result, or fails. */
  private async decided(e: ApprovalDecided): Promise<void> {
    const [run] = await this.ctx.runs.find({ waiting: e.requestId, state: 'waiting' }, 1);
    if (!run) return;
    const i = run.step;
    const step = run.definition[i] as RunbookStep;
    if (e.state === 'approved' && e.result) {
      const after = await this.steps.finish(run._id, i, step, e.result);
      if (after?.state === 'running') this.driver.kick(run._id);
      return;
    }
    await this.steps.finish(run._id, i, { ...step, continue: false }, undefined, `approval ${e.requestId} ${e.state}${e.state === 'approved' ? ' but the command did not run' : ''}`);
  }
}

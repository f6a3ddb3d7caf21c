/**
 * The step runner: runs one step of a run as a child invocation through the router (as the
 * subject that started the run, with the run's invocation id as its parent), judges the result,
 * and records the step's end, so that the run goes on, fails, or waits on an approval. A watch
 * step runs its command again every `every` until `for` is over; its sleep is woken early by a
 * cancel, a lost lease or a stop.
 */
import type { RouterResult } from '../invocation.js';
import { watchRepetitions, type RunbookStep } from './definition.js';
import { withStep, type RunRecord, type StepRecord } from './run.js';
import type { RunContext } from './ports.js';

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

export class StepRunner {
  private readonly sleepers = new Map<string, () => void>();

  /** `stopping`: the process is shutting down (a watch runs no further repetition). */
  constructor(private readonly ctx: RunContext, private readonly stopping: () => boolean) {}

  /** Ends the sleep of a watch step of this run now (cancel, lost lease). */
  wake(id: string): void {
    this.sleepers.get(id)?.();
  }

  /** Ends every sleep now (stop). */
  wakeAll(): void {
    for (const wake of this.sleepers.values()) wake();
  }

  /** Runs step `i` of the run: to its end, or until it waits on an approval. */
  async run(run: RunRecord, i: number): Promise<void> {
    const { deps, runs, message } = this.ctx;
    const step = run.definition[i] as RunbookStep;
    const now = deps.clock.now();
    const started = await runs.mutate(run._id, (r) => (r.state === 'running' && r.step === i
      ? { steps: withStep(r, i, { state: 'running', startedAt: r.steps[i]?.startedAt ?? now, summary: undefined }) } : undefined), now);
    if (started?.state !== 'running' || started.step !== i) return;
    await message.publish(started);
    const line = (started.steps[i] as StepRecord).line;
    if (step.kind === 'watch') return this.watch(started, i, step);
    if (step.approval && !deps.approvals) {
      await this.finish(run._id, i, step, undefined, 'this bot has no approvals service; the step needs an approval');
      return;
    }
    const result = await this.child(started, line, step.approval);
    if (result.pending) {
      const t = deps.clock.now();
      const waiting = await runs.mutate(run._id, (r) => (r.state === 'running' && r.step === i
        ? { state: 'waiting', waiting: result.pending?.approval, owner: undefined, steps: withStep(r, i, { state: 'waiting', approval: result.pending?.approval, invocationId: result.invocationId, summary: result.reply.title }) }
        : undefined), t);
      if (waiting) await message.publish(waiting, i, result);
      return;
    }
    await this.finish(run._id, i, step, result);
  }

  /** Records a step's end; the run goes on (passed or `continue`), or fails here. */
  async finish(id: string, i: number, step: RunbookStep, result: RouterResult | undefined, failure?: string): Promise<RunRecord | null> {
    const now = this.ctx.deps.clock.now();
    const ok = result !== undefined && failure === undefined && passed(step, result);
    const summary = failure ?? (result ? summaryOf(step, result) : 'no result');
    const run = await this.ctx.runs.mutate(id, (r) => {
      if (r.step !== i) return undefined;
      const steps = withStep(r, i, {
        state: ok ? 'ok' : 'failed', endedAt: now, summary,
        ...(result ? { invocationId: result.invocationId, status: result.reply.status } : {}),
      });
      const active = r.state === 'running' || r.state === 'waiting';
      const goOn = ok || step.continue;
      const set: Partial<RunRecord> = { steps, ...(goOn ? { step: i + 1 } : {}) };
      if (active && !goOn) Object.assign(set, { state: 'failed', endedAt: now, reason: `step ${i + 1} failed: ${summary}`, owner: undefined, waiting: undefined });
      else if (r.state === 'waiting') Object.assign(set, { state: 'running', waiting: undefined, leaseUntil: now + this.ctx.leaseMs });
      return set;
    }, now);
    if (run) await this.ctx.message.publish(run, i, result);
    return run;
  }

  private child(run: RunRecord, line: string, approval: boolean): Promise<RouterResult> {
    return this.ctx.deps.runner.run(line, {
      subject: run.subject, surface: 'runbook', parentInvocationId: run.invocationId,
      ...(run.channel ? { channel: run.channel } : {}),
      ...(approval ? { approval: 'required' as const } : {}),
    });
  }

  private async watch(run: RunRecord, i: number, step: Extract<RunbookStep, { kind: 'watch' }>): Promise<void> {
    const { deps, runs, message } = this.ctx;
    const rec = run.steps[i] as StepRecord;
    const total = rec.total ?? watchRepetitions(step);
    let done = rec.done ?? 0;
    let last: RouterResult | undefined;
    while (done < total) {
      if (done > 0) await this.sleep(run._id, step.everyMs);
      const cur = await runs.get(run._id);
      if (this.stopping() || cur?.state !== 'running' || cur.step !== i) return;
      last = await this.child(cur, rec.line, false);
      done++;
      if (!passed(step, last)) {
        await this.finish(run._id, i, step, last, `repetition ${done} of ${total}: ${summaryOf(step, last)}`);
        return;
      }
      const now = deps.clock.now();
      const progressed = await runs.mutate(run._id, (r) => (r.step === i ? { steps: withStep(r, i, { done, invocationId: last?.invocationId, status: last?.reply.status }) } : undefined), now);
      if (progressed && done < total) await message.publish(progressed, i, last);
    }
    await this.finish(run._id, i, step, last);
  }

  private sleep(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.ctx.deps.clock.setTimeout(() => { this.sleepers.delete(id); resolve(); }, ms);
      this.sleepers.set(id, () => { timer.cancel(); this.sleepers.delete(id); resolve(); });
    });
  }
}

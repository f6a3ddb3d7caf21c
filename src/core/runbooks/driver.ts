/**
 * Driving runs in the background, one process at a time per run: a coordination lock on the run,
 * extended every third of the lease while it runs (with the run's `leaseUntil`), and this process
 * recorded as the run's owner. A run whose lock another process holds is looked at again later.
 * The driver steps through the run until it ends, waits on an approval, or the lease is lost.
 */
import type { Lock } from '../coordination/types.js';
import { errorMessage } from '../errors.js';
import type { RunContext } from './ports.js';
import type { StepRunner } from './step-runner.js';

/** How often a lease is extended, and how soon a run held elsewhere is looked at again. */
const thirdOf = (leaseMs: number) => Math.max(1000, Math.floor(leaseMs / 3));

export class RunDriver {
  private readonly driving = new Map<string, Promise<void>>();
  /** Set by a graceful stop: no run is driven further. */
  stopping = false;

  constructor(private readonly ctx: RunContext, private readonly steps: StepRunner) {}

  /** Is this process driving the run now? */
  has(id: string): boolean {
    return this.driving.has(id);
  }

  /** The runs this process drives (live: a run that ends meanwhile is left out). */
  ids(): IterableIterator<string> {
    return this.driving.keys();
  }

  /** Starts driving the run in the background, unless this process already does (or stops). */
  kick(id: string): void {
    if (this.driving.has(id) || this.stopping) return;
    const p = this.drive(id).catch((e) => this.ctx.deps.log.error({ err: e, run: id }, `runbook run ${id} stopped on an error: ${errorMessage(e)}`)).finally(() => this.driving.delete(id));
    this.driving.set(id, p);
  }

  /** Settles once the runs driven now have paused or ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.driving.values()]);
  }

  /** Settles once every run this process drives has paused or ended, also those kicked meanwhile. */
  async idle(): Promise<void> {
    while (this.driving.size) await this.settled();
  }

  private async drive(id: string): Promise<void> {
    const { deps, runs, me, leaseMs, message } = this.ctx;
    const lock = await deps.coordination.tryLock(`runbook:${id}`, leaseMs);
    if (!lock) {
      // Held by another process, or by one that died (its lease runs out): look again later.
      const run = await runs.get(id);
      if (run?.state === 'running') deps.clock.setTimeout(() => this.kick(id), thirdOf(leaseMs));
      return;
    }
    const lease = this.keepLease(id, lock);
    try {
      const claimed = await runs.mutate(id, (r) => (r.state === 'running' ? { owner: me, leaseUntil: deps.clock.now() + leaseMs } : undefined), deps.clock.now());
      if (claimed?.state !== 'running') return;
      for (;;) {
        if (this.stopping || lease.lost) return;
        const run = await runs.get(id);
        if (!run || run.state !== 'running') return;
        if (run.step >= run.steps.length) {
          const now = deps.clock.now();
          const done = await runs.mutate(id, (r) => (r.state === 'running' ? { state: 'succeeded', endedAt: now, owner: undefined } : undefined), now);
          if (done) await message.publish(done);
          return;
        }
        await this.steps.run(run, run.step);
      }
    } finally {
      lease.stop();
      await lock.release();
    }
  }

  /** Extends the lock and the run's `leaseUntil` every third of the lease; `lost` once the lock could not be extended. */
  private keepLease(id: string, lock: Lock): { lost: boolean; stop(): void } {
    const { deps, runs, leaseMs } = this.ctx;
    const state = { lost: false, stopped: false, timer: undefined as { cancel(): void } | undefined };
    const tick = (): void => {
      state.timer = deps.clock.setTimeout(() => {
        void (async () => {
          if (state.stopped) return;
          if (!(await lock.extend(leaseMs))) {
            state.lost = true;
            this.steps.wake(id);
            return;
          }
          const now = deps.clock.now();
          await runs.mutate(id, (r) => (r.state === 'running' ? { leaseUntil: now + leaseMs } : undefined), now).catch(() => undefined);
          if (!state.stopped) tick();
        })();
      }, thirdOf(leaseMs));
    };
    tick();
    return {
      get lost() { return state.lost; },
      stop() { state.stopped = true; state.timer?.cancel(); },
    };
  }
}

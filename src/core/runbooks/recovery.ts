/**
 * Recovery of runs whose process is gone: a run left `running` by a process that died (or whose
 * lease ran out), or driven by this process when it stops, becomes `interrupted` at its step,
 * with the reason on the run and in the audit log. Nothing goes on by itself: `runbook resume`
 * sets an interrupted run running again from that step.
 */
import { ownerGone, pidAlive } from '../audit/owner.js';
import { UserError } from '../errors.js';
import { withStep, type RunRecord } from './run.js';
import type { RunContext } from './ports.js';

export class RunRecovery {
  /** `driving`: is this process driving the run now (such a run is not gone)? */
  constructor(private readonly ctx: RunContext, private readonly driving: (id: string) => boolean) {}

  /** Runs left `running` by a process that is gone (or whose lease ran out) become `interrupted`. */
  async sweep(): Promise<number> {
    const { deps, runs, me } = this.ctx;
    const alive = deps.alive ?? pidAlive;
    let n = 0;
    for (const r of await runs.find({ state: 'running' }, 500)) {
      if (this.driving(r._id)) continue;
      const now = deps.clock.now();
      const gone = r.owner ? ownerGone(r.owner, me, alive) : false;
      const expired = (r.leaseUntil ?? 0) < now;
      if (!gone && !expired) continue;
      const who = r.owner ? `pid ${r.owner.pid} on ${r.owner.host}` : 'no process';
      const run = await this.interrupt(r._id, `interrupted at step ${r.step + 1}: the process running it (${who}) is gone; \`runbook resume ${r._id}\` goes on from there`, (x) => x.state === 'running' && x.version === r.version);
      if (run) n++;
    }
    return n;
  }

  /** Marks the run `interrupted` at its step if `when` holds for it; null when it did not. */
  async interrupt(id: string, reason: string, when: (r: RunRecord) => boolean): Promise<RunRecord | null> {
    const { deps, runs, message } = this.ctx;
    const now = deps.clock.now();
    let changed = false;
    const run = await runs.mutate(id, (r) => {
      changed = false;
      if (!when(r)) return undefined;
      changed = true;
      const cur = r.steps[r.step];
      const steps = cur && (cur.state === 'running' || cur.state === 'pending') ? withStep(r, r.step, { state: 'interrupted' }) : r.steps;
      return { state: 'interrupted', steps, reason, owner: undefined };
    }, now);
    if (run && changed) {
      await message.publish(run);
      await deps.audit?.systemEvent({ action: 'runbook.interrupted', message: `run ${id} of ${run.runbook}: ${reason}`, detail: { run: id, step: run.step + 1 } }).catch(() => undefined);
      return run;
    }
    return null;
  }

  /** `runbook resume`: an interrupted run is running again from its step (the caller drives it). */
  async resume(id: string, who: string): Promise<RunRecord> {
    const { deps, runs, leaseMs, message } = this.ctx;
    const now = deps.clock.now();
    let changed = false;
    const run = await runs.mutate(id, (r) => {
      changed = false;
      if (r.state !== 'interrupted') return undefined;
      changed = true;
      const cur = r.steps[r.step];
      const steps = cur && cur.state === 'interrupted' ? withStep(r, r.step, { state: 'pending' }) : r.steps;
      return { state: 'running', steps, reason: `resumed by ${who} at step ${r.step + 1}`, owner: undefined, leaseUntil: now + leaseMs };
    }, now);
    if (!run) throw new UserError('not_found', `no runbook run "${id}"`);
    if (!changed) throw new UserError('conflict', `run ${id} is ${run.state}; only an interrupted run can be resumed`);
    await message.publish(run);
    return run;
  }
}

/**
 * Claiming a run: once per job and slot across processes (a unique run record), then the job's
 * hold, so a job never overlaps itself. A scheduled tick of a paused job, or one while another
 * run still holds the job, is recorded `skipped` (an overlap is said in the channel); a hold past
 * its deadline is taken over and its run marked `interrupted`. A held run starts executing in the
 * background.
 */
import { newInvocationId } from '../ids.js';
import { initialJobState } from './records.js';
import { skippedMessage } from './notice.js';
import { executeRun } from './execute.js';
import { jobSubject, type JobContext } from './ports.js';
import type { JobDefinition, JobRun, RunTrigger } from './types.js';

/** How long past its timeout a run's hold on the job lasts before another process may take over. */
const GRACE_MS = 60_000;

/**
 * Claims the run (once per slot across processes), then takes the job's hold unless it is
 * paused (scheduled runs) or another run still holds it: then the run is recorded `skipped`
 * and, for an overlap, said so in the channel. A pause is recorded at its first tick only;
 * its later ticks leave no record. Undefined when another process has the slot (or the tick
 * is one of a pause already recorded).
 */
export async function beginRun(ctx: JobContext, def: JobDefinition, trigger: RunTrigger, slot: Date | undefined, by: string, parentInvocationId: string | undefined): Promise<{ run: JobRun; skipped?: string } | undefined> {
  const { records } = ctx;
  if (trigger !== 'manual') {
    const s = await records.state(def.name);
    if (s?.paused && s.pauseNoted) return undefined;
  }
  const now = ctx.deps.clock.date();
  const runId = newInvocationId();
  const run: JobRun = {
    _id: runId, claim: slot ? `${def.name}@${slot.toISOString()}` : `${def.name}@manual:${runId}`, job: def.name, trigger,
    ...(slot ? { slot } : {}), by, state: 'claimed', startedAt: now, version: 1,
  };
  if (!(await records.claim(run))) return undefined;
  const { result: hold } = await records.mutate(def.name, () => initialJobState(def), (s) => {
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
  if (hold.stale) await records.updateRun(hold.stale, ['claimed', 'running'], { state: 'interrupted', reason: 'its process stopped while it ran (found past its deadline)' });
  if (hold.noted) {
    await records.dropRun(runId);
    return undefined;
  }
  if (hold.skip) {
    await records.updateRun(runId, ['claimed'], { state: 'skipped', reason: hold.skip, finishedAt: now, durationMs: 0 });
    if (hold.overlap && trigger !== 'manual') await skippedOverlap(ctx, def, { ...run, state: 'skipped' }, hold.skip);
    return { run: { ...run, state: 'skipped', reason: hold.skip }, skipped: hold.skip };
  }
  await records.updateRun(runId, ['claimed'], { state: 'running' });
  const started = { ...run, state: 'running' as const };
  ctx.track(executeRun(ctx, def, started, parentInvocationId ?? runId));
  return { run: started };
}

async function skippedOverlap(ctx: JobContext, def: JobDefinition, run: JobRun, reason: string): Promise<void> {
  const message = `${reason}; this tick (${run.slot?.toISOString()}) is skipped.`;
  ctx.deps.log.warn({ job: def.name, runId: run._id }, `job ${def.name} skipped: ${message}`);
  await ctx.deps.audit.systemEvent({ action: 'job.skipped', subject: jobSubject(def.name).id, message, detail: { job: def.name, runId: run._id } });
  await ctx.channel.post(def, `job:${run._id}`, skippedMessage(def, run, message));
}

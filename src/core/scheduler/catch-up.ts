/**
 * Runs missed while the bot was down. At start-up, a job whose latest slot due is later than the
 * last one any process handled missed runs: that is reported to the channel and the audit once
 * (the report claims that slot), and run once now when `catchUp: run`. The first start only
 * records where counting begins; a paused job's missed slots count as handled.
 */
import { newInvocationId } from '../ids.js';
import type { CronSchedule } from './cron.js';
import { initialJobState } from './records.js';
import { missedMessage } from './notice.js';
import { beginRun } from './claim.js';
import { jobSubject, type JobContext } from './ports.js';
import type { JobDefinition, JobRun } from './types.js';

/** Reports (and per `catchUp` runs) the runs of the job missed while the bot was down. */
export async function catchUpJob(ctx: JobContext, def: JobDefinition, cron: CronSchedule): Promise<void> {
  const { records } = ctx;
  const now = ctx.deps.clock.date();
  const latest = cron.latest(now);
  if (!latest) return;
  const { result: missedSince } = await records.mutate(def.name, () => initialJobState(def), (s) => {
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
    const started = await beginRun(ctx, def, 'catch-up', latest, 'scheduler', undefined);
    if (started) await reportMissed(ctx, def, missed, latest, 'run', started.run._id);
    return;
  }
  const runId = newInvocationId();
  const run: JobRun = {
    _id: runId, claim: `${def.name}@${latest.toISOString()}`, job: def.name, trigger: 'catch-up', slot: latest, by: 'scheduler',
    state: 'skipped', reason: `missed ${missed} run(s) while the bot was down (catchUp: skip)`, startedAt: now, finishedAt: now, durationMs: 0, version: 1,
  };
  if (!(await records.claim(run))) return;
  await records.mutate(def.name, () => initialJobState(def), (s) => {
    if (!s.lastSlot || s.lastSlot.getTime() < latest.getTime()) s.lastSlot = latest;
  });
  await reportMissed(ctx, def, missed, latest, 'skip', runId);
}

async function reportMissed(ctx: JobContext, def: JobDefinition, missed: number, latest: Date, action: 'run' | 'skip', runId: string): Promise<void> {
  ctx.deps.log.warn({ job: def.name, missed, latest, action }, `job ${def.name}: ${missed} run(s) missed while down`);
  await ctx.deps.audit.systemEvent({
    action: 'job.missed', subject: jobSubject(def.name).id,
    message: `job ${def.name}: ${missed} run(s) missed while the bot was down; catchUp: ${action}`,
    detail: { job: def.name, missed, latest: latest.toISOString(), runId },
  });
  await ctx.channel.post(def, `job:${runId}:missed`, missedMessage(def, missed, latest, action));
}

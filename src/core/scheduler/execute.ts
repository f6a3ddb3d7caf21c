/**
 * Executing a run the scheduler holds: the command runs through the router as
 * `system:job:<name>` and is aborted at the job's timeout; how it ended is recorded on the run
 * and in the job's state, the result is posted per `notify`, and a job alert is raised on a
 * failure (and resolved by the next good run).
 */
import type { Timer } from '../clock.js';
import type { RouterResult } from '../invocation.js';
import type { Reply } from '../reply.js';
import { initialJobState } from './records.js';
import { isFailure, jobAlert, resultMessage, shouldNotify, timeoutMessage } from './notice.js';
import { jobSubject, type JobContext } from './ports.js';
import type { JobDefinition, JobRun, RunState } from './types.js';

/** Runs the command with the job's timeout, records how it ended, posts, and raises or resolves the job alert. */
export async function executeRun(ctx: JobContext, def: JobDefinition, run: JobRun, parentInvocationId: string): Promise<void> {
  const { clock, runner, log } = ctx.deps;
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
  await ctx.records.updateRun(run._id, ['running'], { ...set, state, finishedAt, durationMs });
  const title = set.title ?? message.title;
  const { result: alert, before } = await ctx.records.mutate(def.name, () => initialJobState(def), (s) => {
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
  if (state === 'timeout') await ctx.deps.audit.systemEvent({ action: 'job.timeout', subject: jobSubject(def.name).id, message: `job ${def.name} run ${run._id} timed out`, detail: { job: def.name, runId: run._id } });
  if (shouldNotify(def, state, before.last)) await ctx.channel.post(def, `job:${run._id}`, message);
  if (alert) {
    const summary = alert.status === 'firing' ? `Job ${def.name} ${state === 'timeout' ? 'timed out' : 'failed'}: ${title}` : `Job ${def.name} ran fine again`;
    await ctx.deps.alerts.receive(jobAlert(def, { ...alert, now: finishedAt, run, target: ctx.deps.targetOf?.(def.run), summary }));
  }
}

/**
 * What a run tells the world: whether its result is posted (`notify`), the message posted to the
 * job's channel, and the Alertmanager-v4 notification a failed run raises (and a good run resolves).
 */
import { createHash } from 'node:crypto';
import { formatDuration } from '../duration.js';
import { textReply, type Reply } from '../reply.js';
import type { WebhookPayload } from '../alerts/payload.js';
import { formatInZone } from './cron.js';
import type { JobDefinition, JobRun, LastRun, RunState } from './types.js';

export const FAILED: readonly RunState[] = ['failed', 'timeout', 'interrupted'];
export const isFailure = (s: RunState): boolean => FAILED.includes(s);

/** `always`: every run; `failure`: failed ones; `change`: when the outcome differs from the last run's (the first run too). */
export function shouldNotify(job: JobDefinition, state: RunState, previous: LastRun | null): boolean {
  if (!job.channel) return false;
  if (job.notify === 'always') return true;
  if (job.notify === 'failure') return isFailure(state) || state === 'held';
  return !previous || isFailure(previous.state) !== isFailure(state) || state === 'held';
}

/** `scheduled 2026-01-02 02:00 Europe/Berlin`, `run by slack:U1`, `catch-up of 2026-…`. */
export function describeTrigger(job: Pick<JobDefinition, 'timezone'>, run: Pick<JobRun, 'trigger' | 'slot' | 'by'>): string {
  const at = run.slot ? formatInZone(run.slot, job.timezone) : '';
  if (run.trigger === 'manual') return `run by ${run.by}`;
  if (run.trigger === 'catch-up') return `catch-up of ${at}`;
  return `scheduled ${at}`;
}

function footer(job: JobDefinition, run: JobRun, durationMs: number): string {
  return `job ${job.name} · run ${run._id} · ${describeTrigger(job, run)} · ${formatDuration(durationMs)}`;
}

/** The command's own reply, titled with the job, for the channel. */
export function resultMessage(job: JobDefinition, run: JobRun, reply: Reply, durationMs: number): Reply {
  return { ...reply, title: `Job ${job.name}: ${reply.title}`, visibility: 'channel', footer: footer(job, run, durationMs) };
}

export function timeoutMessage(job: JobDefinition, run: JobRun, durationMs: number): Reply {
  return { ...textReply(`Job ${job.name} timed out`, 'fail', `\`${job.run}\` did not finish within ${formatDuration(job.timeoutMs)}; the next run may start.`, 'channel'), footer: footer(job, run, durationMs) };
}

export function skippedMessage(job: JobDefinition, run: JobRun, reason: string): Reply {
  return { ...textReply(`Job ${job.name} skipped`, 'warn', reason, 'channel'), footer: footer(job, run, 0) };
}

export function missedMessage(job: JobDefinition, missed: number, latest: Date, action: 'run' | 'skip'): Reply {
  const what = `${missed} scheduled run${missed === 1 ? '' : 's'} of \`${job.run}\` (the latest ${formatInZone(latest, job.timezone)}) fell while the bot was down.`;
  const then = action === 'run' ? 'Running it once now (catchUp: run).' : 'Not run (catchUp: skip); the next run is on schedule.';
  return textReply(`Job ${job.name}: missed while down`, 'warn', `${what} ${then}`, 'channel');
}

/**
 * The notification of a job alert: one alert per job (its fingerprint and group key are the
 * job's), firing since the first failure of the streak, resolved by the next good run.
 */
export function jobAlert(job: JobDefinition, opts: { status: 'firing' | 'resolved'; since: Date; now: Date; run: JobRun; target?: string | undefined; summary: string }): WebhookPayload {
  const labels: Record<string, string> = {
    alertname: 'OpsbotJobFailed', job: job.name, severity: job.alert?.severity ?? 'critical',
    ...(opts.target ? { target: opts.target } : {}),
  };
  const annotations = {
    summary: opts.summary,
    description: `Scheduled job ${job.name} (\`${job.run}\`, ${job.cron} ${job.timezone}); last run ${opts.run._id}.`,
  };
  const fingerprint = createHash('sha256').update(`opsbot-job\0${job.name}`).digest('hex').slice(0, 16);
  const groupLabels = { alertname: labels.alertname as string, job: job.name };
  return {
    version: '4',
    groupKey: `{}/{opsbot-job="${job.name}"}:{alertname="OpsbotJobFailed", job="${job.name}"}`,
    truncatedAlerts: 0,
    status: opts.status,
    receiver: 'opsbot-scheduler',
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [{
      status: opts.status, labels, annotations, fingerprint, generatorURL: '',
      startsAt: opts.since.toISOString(),
      endsAt: opts.status === 'resolved' ? opts.now.toISOString() : '0001-01-01T00:00:00Z',
    }],
  };
}

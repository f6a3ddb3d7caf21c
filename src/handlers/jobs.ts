/**
 * `jobs` · `jobs run <name>` · `jobs history <name>` · `jobs pause|resume <name>`: the scheduled
 * jobs, their next and last runs, a run now (its id at once, the result posted when done), and
 * pause / resume (stored, so every process honours it; audited by the router).
 */
import { z } from 'zod';
import { defineCommand, type Access, type CommandContext } from '../core/command.js';
import { formatDuration } from '../core/duration.js';
import { table, textReply, type Reply } from '../core/reply.js';
import { formatInZone } from '../core/scheduler/cron.js';
import { describeTrigger } from '../core/scheduler/notice.js';
import type { JobRun } from '../core/scheduler/types.js';
import type { JobView, Scheduler } from '../core/scheduler/scheduler.js';

export interface JobsDeps {
  scheduler: Pick<Scheduler, 'list' | 'history' | 'setPaused' | 'runNow' | 'names' | 'definition'>;
  /** The target a job's command acts on, for RBAC. */
  targetOfJob: (name: string) => string | undefined;
}

const nameParam = { name: 'name', kind: 'positional', type: 'string', required: true, description: 'The job (see `jobs`)' } as const;
const nameSchema = z.object({ name: z.string().min(1).max(63) });

const when = (d: Date | undefined, tz: string): string => (d ? formatInZone(d, tz) : '-');

function mayShow(access: Access, target: string | undefined): boolean {
  return target ? access.canSee(target) : access.allowsAll([]);
}

function listReply(views: JobView[]): Reply {
  if (!views.length) return textReply('Scheduled jobs', 'info', 'No jobs configured (see `jobs:` in the README, "Scheduled jobs").');
  const rows = views.map((v) => [
    v.job.name,
    `\`${v.job.cron}\` ${v.job.timezone}`,
    v.job.run,
    v.paused ? 'paused' : when(v.next, v.job.timezone),
    v.running ? `running (${v.running.runId})` : v.last ? `${when(v.last.finishedAt, v.job.timezone)} ${v.last.state}` : 'never',
    v.last?.durationMs === undefined ? '-' : formatDuration(v.last.durationMs),
  ]);
  const status = views.some((v) => v.last && ['failed', 'timeout', 'interrupted'].includes(v.last.state)) ? 'warn' : 'info';
  return { title: 'Scheduled jobs', status, blocks: [table(['Job', 'Schedule', 'Runs', 'Next run', 'Last run', 'Took'], rows)] };
}

function historyReply(name: string, tz: string, runs: JobRun[]): Reply {
  if (!runs.length) return textReply(`Job ${name}: history`, 'info', 'No runs yet.');
  const rows = runs.map((r) => [
    r._id, when(r.startedAt, tz), describeTrigger({ timezone: tz }, r), r.state,
    r.durationMs === undefined ? '-' : formatDuration(r.durationMs),
    (r.title ?? r.reason ?? '').slice(0, 80),
  ]);
  return { title: `Job ${name}: history`, status: 'info', blocks: [table(['Run', 'Started', 'Trigger', 'Result', 'Took', 'Detail'], rows)] };
}

export function jobCommands(deps: JobsDeps) {
  const { scheduler, targetOfJob } = deps;
  const jobOf = (name: string) => scheduler.definition(name);
  const pause = (paused: boolean) => defineCommand({
    name: paused ? 'jobs pause' : 'jobs resume',
    summary: paused ? 'Pause a job: its scheduled runs are skipped until it is resumed' : 'Resume a paused job',
    params: [nameParam],
    schema: nameSchema,
    risk: 'write',
    targetOf: (a) => targetOfJob(a.name),
    describe: (a) => `${paused ? 'pause' : 'resume'} job ${a.name}${jobOf(a.name) ? '' : ' (no such job)'}`,
    async run(ctx: CommandContext, a) {
      const changed = await scheduler.setPaused(a.name, paused, ctx.subject.id);
      const word = paused ? 'paused' : 'resumed';
      return textReply(`Job ${a.name} ${changed ? word : `was already ${paused ? 'paused' : 'running on schedule'}`}`, 'ok',
        paused ? 'Scheduled runs are skipped until `jobs resume`; `jobs run` still runs it.' : 'It runs on its schedule again.', 'channel');
    },
  });
  return [
    defineCommand({
      name: 'jobs',
      summary: 'List the scheduled jobs with their next run (in their time zone), last run, result and duration',
      params: [],
      schema: z.object({}),
      risk: 'read',
      touches: () => 'filtered',
      async run(ctx) {
        const views = (await scheduler.list()).filter((v) => mayShow(ctx.access, targetOfJob(v.job.name)));
        return listReply(views);
      },
    }),
    defineCommand({
      name: 'jobs run',
      summary: 'Run a job now: answers with the run id at once and posts the result to the job\'s channel when done',
      params: [nameParam],
      schema: nameSchema,
      risk: 'write',
      targetOf: (a) => targetOfJob(a.name),
      describe: (a) => {
        const def = jobOf(a.name);
        return def ? `run job ${a.name} now: \`${def.run}\` as system:job:${a.name}${def.channel ? `, result to ${def.channel}` : ''}` : `nothing: there is no job "${a.name}"`;
      },
      async run(ctx, a) {
        const run = await scheduler.runNow(a.name, ctx.subject.id, ctx.invocationId);
        const def = jobOf(a.name);
        const where = def?.channel ? `the result is posted to ${def.channel} when it is done` : 'see `jobs history` for the result';
        return { ...textReply(`Job ${a.name} started: run ${run._id}`, 'ok', `Running \`${def?.run ?? a.name}\`; ${where}.`, 'channel'), footer: `run ${run._id}` };
      },
    }),
    defineCommand({
      name: 'jobs history',
      summary: 'The latest runs of a job',
      params: [nameParam, { name: 'limit', kind: 'flag', type: 'number', placeholder: 'N', description: 'How many runs (default 10, at most 100)' }],
      schema: nameSchema.extend({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
      risk: 'read',
      targetOf: (a) => targetOfJob(a.name),
      async run(_ctx, a) {
        const runs = await scheduler.history(a.name, a.limit);
        return historyReply(a.name, jobOf(a.name)?.timezone ?? 'UTC', runs);
      },
    }),
    pause(true),
    pause(false),
  ];
}

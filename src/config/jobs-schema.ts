/**
 * `jobs:`: command lines the scheduler runs on a cron expression (README "Scheduled jobs").
 * Cron expressions and time zones are checked here; that `run` names a registered command is
 * checked at start-up, when the registry exists (`Bot.checkRbac`).
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { cronProblem, timezoneProblem } from '../core/scheduler/cron.js';
import { channelAddress } from './alerting.js';

const jobName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'A job name: lowercase letters, digits, "_" and "-" (at most 63)');

const timeout = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

export const jobSchema = z.object({
  description: z.string().max(200).optional(),
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  cron: z.string().min(1).superRefine((v, ctx) => {
    const problem = cronProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** IANA time zone the expression is read in (default UTC). */
  timezone: z.string().min(1).default('UTC').superRefine((v, ctx) => {
    const problem = timezoneProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** The command line, as typed in chat (without `/ops`). */
  run: z.string().min(1).max(500),
  /** Where the result is posted: `<surface>:<channel>`. */
  channel: channelAddress.optional(),
  /** When the result is posted: every run, failed runs only, or when the outcome differs from the last run's. */
  notify: z.enum(['always', 'failure', 'change']).default('failure'),
  /** A run missed while the bot was down: run it once at start-up, or only report it. */
  catchUp: z.enum(['run', 'skip']).default('skip'),
  /** Longest a run may take; it is then marked `timeout` and the next tick may run. */
  timeout: timeout.default(30 * 60_000),
  /** The role the job's subject `system:job:<name>` holds (or give it one under `rbac.subjects`). */
  role: z.string().min(1).optional(),
  /** A failed run opens (and the next good run resolves) an alert group, routed and escalated like an Alertmanager one. */
  alert: z.union([
    z.boolean(),
    z.object({ severity: z.string().min(1).max(40).default('critical') }).strict(),
  ]).default(false).transform((a) => (a === false ? undefined : { severity: a === true ? 'critical' : a.severity })),
  paused: z.boolean().default(false),
}).strict().superRefine((job, ctx) => {
  if (job.notify !== 'failure' || job.alert === undefined) {
    if (!job.channel) ctx.addIssue({ code: 'custom', path: ['channel'], message: `notify: ${job.notify} needs a channel to post to` });
  }
});

export const jobsSchema = z.record(jobName, jobSchema);
export type JobConfig = z.infer<typeof jobSchema>;
export type JobsConfig = z.infer<typeof jobsSchema>;

/** The subject a job's command runs as (RBAC, audit): `system:job:<name>`. */
export const jobSubjectId = (name: string): string => `system:job:${name}`;

/** Each job's role must be defined, and its subject must hold some role (from `role` or `rbac.subjects`). */
export function checkJobRefs(
  jobs: JobsConfig,
  rbac: { roles: Record<string, unknown>; subjects: Record<string, string[]> } | undefined,
  defaultRoles: string[],
  ctx: z.RefinementCtx,
): void {
  const roles = rbac ? Object.keys(rbac.roles) : defaultRoles;
  for (const [name, job] of Object.entries(jobs)) {
    if (job.role && !roles.includes(job.role)) {
      ctx.addIssue({ code: 'custom', path: ['jobs', name, 'role'], message: `Unknown role "${job.role}" (defined: ${roles.join(', ') || 'none'})` });
    }
    if (!job.role && !rbac?.subjects[jobSubjectId(name)]?.length) {
      ctx.addIssue({ code: 'custom', path: ['jobs', name, 'role'], message: `Job "${name}" has no rights: give it a role here or under rbac.subjects["${jobSubjectId(name)}"]` });
    }
  }
}

/** `rbac.subjects` with each job's `role` added to its subject. */
export function withJobSubjects<R extends { subjects: Record<string, string[]> }>(rbac: R, jobs: JobsConfig): R {
  const subjects = { ...rbac.subjects };
  for (const [name, job] of Object.entries(jobs)) {
    if (!job.role) continue;
    const id = jobSubjectId(name);
    subjects[id] = [...new Set([...(subjects[id] ?? []), job.role])];
  }
  return { ...rbac, subjects };
}

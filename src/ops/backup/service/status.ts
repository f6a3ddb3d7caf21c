/** `backup status`: is today's backup there, is the latest intact, what was taken over 7 days. */
import { jobsOf, type BackupContext } from './context.js';
import type { JobStatus } from './reports.js';
import { intact } from './verify.js';

export async function backupStatus(ctx: BackupContext, target: string, signal?: AbortSignal): Promise<JobStatus[]> {
  const now = ctx.now();
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  const out: JobStatus[] = [];
  for (const job of jobsOf(ctx, target)) {
    const today = await ctx.deps.catalog.list(target, { job: job.name, status: 'ok', safety: false, since: midnight });
    const latest = await ctx.deps.catalog.latest(target, job.name);
    const lastWeek = await ctx.deps.catalog.list(target, { job: job.name, status: 'ok', safety: false, since: weekAgo });
    const recent = await ctx.deps.catalog.list(target, { job: job.name, safety: false, limit: 1 });
    const lastFailure = recent[0]?.status === 'failed' ? recent[0] : null;
    const ok = latest ? await intact(job, latest, signal) : undefined;
    out.push({ job, today, latest, lastWeek, lastFailure, ...(ok ? { intact: ok } : {}) });
  }
  return out;
}

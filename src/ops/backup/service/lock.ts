/**
 * One backup, verification or restore per target at a time, through a coordination lock; under
 * it the leftovers of an interrupted run (records still `running`, scratch folders, partial
 * files) are cleaned up first.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { BackupJob } from '../../../config/backup-schema.js';
import { UserError } from '../../../core/errors.js';
import type { BackupContext } from './context.js';
import { removeQuietly } from './workspace.js';

const LOCK_MARGIN_MS = 60_000;

export async function locked<T>(ctx: BackupContext, target: string, jobs: BackupJob[], fn: () => Promise<T>): Promise<T> {
  const ttl = jobs.reduce((n, j) => n + j.timeout * 3, 0) + LOCK_MARGIN_MS;
  const lock = await ctx.deps.coordination.tryLock(`backup:${target}`, ttl);
  if (!lock) throw new UserError('conflict', `a backup, verification or restore of ${target} is already running; try again when it has finished`);
  try {
    await sweep(ctx, target, jobs);
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Under the lock nothing else of this target runs: leftovers of an interrupted run can go. */
async function sweep(ctx: BackupContext, target: string, jobs: BackupJob[]): Promise<void> {
  await ctx.deps.catalog.markInterrupted(target, ctx.now());
  for (const dir of new Set(jobs.flatMap((j) => [j.destination, path.join(j.destination, 'safety')]))) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith('.opsbot-work-') || (name.startsWith(`${target}_`) && name.endsWith('.partial'))) await removeQuietly(path.join(dir, name));
    }
  }
}

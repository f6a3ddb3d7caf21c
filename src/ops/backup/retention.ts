/** Retention: which backups a policy lets go. Pure, so it is easy to test and to show in --dry-run. */
import type { BackupRecord } from './types.js';

export interface RetentionPolicy {
  keepDays?: number | undefined;
  keepLast?: number | undefined;
}

const DAY = 86_400_000;

/**
 * Successful backups of one job (all regular or all safety copies): a backup is kept when it is
 * among the newest `keepLast` or younger than `keepDays`; with neither set, everything is kept.
 * `protect` ids (the backup just taken) are never selected.
 */
export function expiredBackups(records: BackupRecord[], policy: RetentionPolicy, now: Date, protect: string[] = []): BackupRecord[] {
  if (policy.keepDays === undefined && policy.keepLast === undefined) return [];
  const sorted = [...records].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  return sorted.filter((r, i) => {
    if (protect.includes(r._id)) return false;
    const byCount = policy.keepLast !== undefined && i < policy.keepLast;
    const byAge = policy.keepDays !== undefined && now.getTime() - r.startedAt.getTime() < policy.keepDays * DAY;
    return !byCount && !byAge;
  });
}

export function describePolicy(policy: RetentionPolicy): string {
  const parts = [
    policy.keepDays !== undefined ? `${policy.keepDays} day${policy.keepDays === 1 ? '' : 's'}` : '',
    policy.keepLast !== undefined ? `the last ${policy.keepLast}` : '',
  ].filter(Boolean);
  return parts.length ? `keep ${parts.join(' or ')}` : 'keep everything';
}

/**
 * What each retention setting removes: a collection and the filter of its finished records older
 * than a cutoff. Only finished records go (an open group, a pending approval, a running run stay
 * whatever their age).
 */
import type { Filter } from '../store/types.js';

export type RetentionKey = 'alertGroups' | 'audit' | 'outboxDelivered' | 'outboxDead' | 'inboxDeadLetters' | 'jobRuns' | 'runbookRuns' | 'approvals';

export interface RetentionRule {
  key: RetentionKey;
  collection: string;
  /** Finished records older than `cutoff`. */
  expired(cutoff: Date): Filter;
}

export const RETENTION_RULES: readonly RetentionRule[] = [
  { key: 'alertGroups', collection: 'alert_groups', expired: (c) => ({ open: false, resolvedAt: { $lt: c } }) },
  { key: 'audit', collection: 'audit', expired: (c) => ({ at: { $lt: c } }) },
  { key: 'outboxDelivered', collection: 'outbox', expired: (c) => ({ state: 'sent', sentAt: { $lt: c } }) },
  { key: 'outboxDead', collection: 'outbox', expired: (c) => ({ state: 'dead', enqueuedAt: { $lt: c } }) },
  { key: 'inboxDeadLetters', collection: 'alert_inbox_failed', expired: (c) => ({ at: { $lt: c } }) },
  { key: 'jobRuns', collection: 'job_runs', expired: (c) => ({ state: { $in: ['ok', 'failed', 'timeout', 'skipped', 'held', 'interrupted'] }, startedAt: { $lt: c } }) },
  // Runbook runs keep their times as milliseconds.
  { key: 'runbookRuns', collection: 'runbook_runs', expired: (c) => ({ state: { $in: ['succeeded', 'failed', 'cancelled', 'interrupted'] }, updatedAt: { $lt: c.getTime() } }) },
  { key: 'approvals', collection: 'approvals', expired: (c) => ({ state: { $in: ['executed', 'denied', 'expired', 'cancelled', 'interrupted'] }, createdAt: { $lt: c } }) },
];

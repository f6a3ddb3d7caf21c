/**
 * The `retention:` config section: how long each growing collection keeps what is finished
 * (resolved alert groups, audit entries, delivered chat messages, dead letters, job and runbook
 * runs, decided approvals), and how often the sweep runs. `forever` keeps a collection whole.
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

const age = z.union([z.literal('forever'), z.string(), z.number()]).transform((v, ctx) => {
  if (v === 'forever') return null;
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `Invalid age "${v}" (use e.g. 7d, 30d, 400d, or forever)` });
    return z.NEVER;
  }
  return ms;
});

const DAY = 86_400_000;

export const retentionSchema = z.object({
  /** Resolved alert groups, counted from when they resolved. */
  alertGroups: age.default(30 * DAY),
  /** Audit entries. */
  audit: age.default(400 * DAY),
  /** Chat messages the outbox delivered, from when they were sent. */
  outboxDelivered: age.default(7 * DAY),
  /** Chat messages the outbox gave up on (dead letters). */
  outboxDead: age.default(30 * DAY),
  /** Alertmanager notifications set aside because they kept failing (`alert_inbox_failed`). */
  inboxDeadLetters: age.default(30 * DAY),
  /** Finished scheduled-job runs. */
  jobRuns: age.default(90 * DAY),
  /** Finished runbook runs. */
  runbookRuns: age.default(90 * DAY),
  /** Decided, expired or cancelled approval requests. */
  approvals: age.default(90 * DAY),
  /** How often the sweep runs (once per period across every replica). */
  interval: z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < 60_000) {
      ctx.addIssue({ code: 'custom', message: `Invalid interval "${v}" (at least 1m, e.g. 1h)` });
      return z.NEVER;
    }
    return ms;
  }).default(3_600_000),
}).strict();

export type RetentionConfig = z.infer<typeof retentionSchema>;

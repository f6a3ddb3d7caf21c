/**
 * Alertmanager's webhook payload, version 4 (validated at the edge; unknown extra fields such as
 * `notification_reason` are accepted and ignored), and the fingerprint of one notification used
 * to recognise duplicates from retries and HA peers.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const labels = z.record(z.string(), z.string());
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'Invalid RFC 3339 timestamp');
const status = z.enum(['firing', 'resolved']);

export const webhookAlertSchema = z.looseObject({
  status,
  labels,
  annotations: labels.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().max(4000).optional().default(''),
  fingerprint: z.string().min(1).max(128),
});

export const webhookPayloadSchema = z.looseObject({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(4000),
  truncatedAlerts: z.number().int().min(0).default(0),
  status,
  receiver: z.string().max(500),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels.default({}),
  externalURL: z.string().max(4000).default(''),
  alerts: z.array(webhookAlertSchema).min(1),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

/** `alerts[0].labels.severity` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(body)';
}

/** Alertmanager's "no end" timestamp (and anything before 1971) means the alert has no end time. */
export function parseEnd(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) || t < 31_536_000_000 ? undefined : new Date(t);
}

/**
 * Identity of one notification's content. Two notifications with the same group, status and
 * alert states are the same notification, whichever peer sent it and whenever.
 */
export function notificationHash(p: WebhookPayload): string {
  const h = createHash('sha256');
  h.update(`${p.groupKey}\0${p.status}\0${p.truncatedAlerts}\0`);
  const alerts = p.alerts.map((a) => `${a.fingerprint}|${a.status}|${a.startsAt}|${a.status === 'resolved' ? (a.endsAt ?? '') : ''}`).sort();
  for (const a of alerts) h.update(`${a}\n`);
  return h.digest('hex').slice(0, 32);
}

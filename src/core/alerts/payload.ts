/**
 * Alertmanager's webhook payload, version 4 (validated at the edge; unknown extra fields such as
 * `notification_reason` are accepted and ignored), and the fingerprint of one notification used
 * to recognise duplicates from retries and HA peers.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Bounds of a webhook body's shape, checked before the schema and before anything is stored. */
export const PAYLOAD_BOUNDS = {
  /** Alertmanager's payload is 4 levels deep (body > alerts > alert > labels); extra fields get some room. */
  maxDepth: 16,
  /** Fields of one object (a label set, an alert, an extra field). */
  maxKeys: 1000,
  /** Entries of one array (`alerts` and any extra array). */
  maxItems: 10_000,
  /** Values in the whole body. */
  maxValues: 500_000,
  /** Characters of one label or annotation name. */
  maxNameLength: 1024,
} as const;

/**
 * Characters no label or annotation may carry into chat: C0 controls but tab and line breaks, DEL,
 * C1 controls, and the bidirectional overrides and isolates that reorder what a reader sees.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Label and annotation text without control characters (stripped at the edge, so no renderer sees them). */
export function stripControl(s: string): string {
  return s.replace(CONTROL, '');
}

const cleanText = z.string().transform(stripControl);
const labels = z.record(z.string().min(1).max(PAYLOAD_BOUNDS.maxNameLength).transform(stripControl), cleanText);
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

/**
 * The first way a parsed JSON body exceeds PAYLOAD_BOUNDS (too deep, too many fields or entries),
 * with the field it happened in; undefined when it fits. Walks without recursion, so any depth
 * JSON.parse accepted is safe to inspect.
 */
export function payloadShapeProblem(body: unknown, bounds: typeof PAYLOAD_BOUNDS = PAYLOAD_BOUNDS): { field: string; message: string } | undefined {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: body, path: [] }];
  let values = 0;
  while (stack.length) {
    const { value, path } = stack.pop() as { value: unknown; path: PropertyKey[] };
    if (++values > bounds.maxValues) return { field: '(body)', message: `More than ${bounds.maxValues} values in the body` };
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= bounds.maxDepth) return { field: fieldPath(path.slice(0, 1)), message: `Nested deeper than ${bounds.maxDepth} levels` };
    if (Array.isArray(value)) {
      if (value.length > bounds.maxItems) return { field: fieldPath(path), message: `More than ${bounds.maxItems} entries` };
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > bounds.maxKeys) return { field: fieldPath(path), message: `More than ${bounds.maxKeys} fields` };
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i] as string], path: [...path, keys[i] as string] });
  }
  return undefined;
}

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

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

export type PayloadBounds = { readonly [K in keyof typeof PAYLOAD_BOUNDS]: number };

/** Lengths of the payload's text fields (the schema's and the fast path's, payload-fast.ts). */
export const WEBHOOK_LIMITS = {
  groupKeyLength: 4000,
  receiverLength: 500,
  urlLength: 4000,
  fingerprintLength: 128,
  nameLength: PAYLOAD_BOUNDS.maxNameLength,
} as const;

/**
 * Characters no label or annotation may carry into chat: C0 controls but tab and line breaks, DEL,
 * C1 controls, and the bidirectional overrides and isolates that reorder what a reader sees.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
/** The same characters, for a test that keeps no state between calls (no `g`). */
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/**
 * Label and annotation text without control characters (stripped at the edge, so no renderer
 * sees them); the same string when there is nothing to strip (the common case).
 */
export function stripControl(s: string): string {
  return HAS_CONTROL.test(s) ? s.replace(CONTROL, '') : s;
}

/** What the schema takes for a time: anything Date.parse reads (RFC 3339 with nanoseconds, the zero time). */
export function isTimestamp(s: string): boolean {
  return !Number.isNaN(Date.parse(s));
}

const cleanText = z.string().transform(stripControl);
const labels = z.record(z.string().min(1).max(WEBHOOK_LIMITS.nameLength).transform(stripControl), cleanText);
const timestamp = z.string().refine(isTimestamp, 'Invalid RFC 3339 timestamp');
const status = z.enum(['firing', 'resolved']);

export const webhookAlertSchema = z.looseObject({
  status,
  labels,
  annotations: labels.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().max(WEBHOOK_LIMITS.urlLength).optional().default(''),
  fingerprint: z.string().min(1).max(WEBHOOK_LIMITS.fingerprintLength),
});

export const webhookPayloadSchema = z.looseObject({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(WEBHOOK_LIMITS.groupKeyLength),
  truncatedAlerts: z.number().int().min(0).default(0),
  status,
  receiver: z.string().max(WEBHOOK_LIMITS.receiverLength),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels.default({}),
  externalURL: z.string().max(WEBHOOK_LIMITS.urlLength).default(''),
  alerts: z.array(webhookAlertSchema).min(1),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

/**
 * The first way a parsed JSON body exceeds PAYLOAD_BOUNDS (too deep, too many fields or entries),
 * with the field it happened in; undefined when it fits. Visits values depth first, in order,
 * and builds a path only for the problem it found; the depth bound bounds the recursion, so any
 * depth JSON.parse accepted is safe to inspect.
 */
export function payloadShapeProblem(body: unknown, bounds: PayloadBounds = PAYLOAD_BOUNDS): { field: string; message: string } | undefined {
  const found = shapeWalk(body, 0, bounds, { values: 0 });
  if (!found) return undefined;
  const path = found.reversedPath.reverse();
  return { field: found.kind === 'values' ? '(body)' : fieldPath(found.kind === 'depth' ? path.slice(0, 1) : path), message: found.message };
}

interface ShapeFound {
  kind: 'values' | 'depth' | 'size';
  message: string;
  /** From the value that broke a bound up to the body (filled in while the walk unwinds). */
  reversedPath: PropertyKey[];
}

function shapeWalk(value: unknown, depth: number, bounds: PayloadBounds, seen: { values: number }): ShapeFound | undefined {
  if (++seen.values > bounds.maxValues) return { kind: 'values', message: `More than ${bounds.maxValues} values in the body`, reversedPath: [] };
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= bounds.maxDepth) return { kind: 'depth', message: `Nested deeper than ${bounds.maxDepth} levels`, reversedPath: [] };
  if (Array.isArray(value)) {
    if (value.length > bounds.maxItems) return { kind: 'size', message: `More than ${bounds.maxItems} entries`, reversedPath: [] };
    for (let i = 0; i < value.length; i++) {
      const found = shapeWalk(value[i], depth + 1, bounds, seen);
      if (found) {
        found.reversedPath.push(i);
        return found;
      }
    }
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length > bounds.maxKeys) return { kind: 'size', message: `More than ${bounds.maxKeys} fields`, reversedPath: [] };
  for (const k of keys) {
    const found = shapeWalk((value as Record<string, unknown>)[k], depth + 1, bounds, seen);
    if (found) {
      found.reversedPath.push(k);
      return found;
    }
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

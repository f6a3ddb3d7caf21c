/**
 * The `alerting:` config section: where Alertmanager groups go (routes with Alertmanager's label
 * matchers and `continue`), how fast one channel may be written to, when a burst becomes a digest.
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { parseMatcher } from '../core/alerts/matchers.js';
import { DEFAULT_TARGET_LABELS } from '../core/alerts/targets.js';
import { checkMentionSurfaces, mentionSchema } from './mentions-schema.js';

const ms = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const out = parseDuration(v);
  if (out === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return out;
});

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1024 * 1024 };

/** `1MiB`, `512KiB`, `200kb` or a number of bytes. */
export const byteSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(v));
  const unit = SIZE_UNITS[(m?.[2] ?? 'x').toLowerCase()];
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    ctx.addIssue({ code: 'custom', message: `Invalid size "${v}" (use e.g. 1MiB, 512KiB or bytes)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * unit);
});

/** `<surface>:<channel>`: `slack:C0123`, `discord:1234`, `console:alerts`. */
export const channelAddress = z.string().regex(/^[a-z][a-z0-9_-]*:\S+$/, 'Write a channel as <surface>:<channel>, e.g. slack:C0123, discord:1234, console:alerts');

const matcherString = z.string().min(1).superRefine((s, ctx) => {
  try {
    parseMatcher(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

export const alertRouteSchema = z.object({
  /** A readable name for logs and the `alerts` list. */
  name: z.string().min(1).max(80).optional(),
  /** Alertmanager matchers, all must hold: `severity="critical"`, `team=~"db|infra"`, `env!=dev`, `job!~"test.*"`. */
  matchers: z.array(matcherString).default([]),
  channels: z.array(channelAddress).min(1),
  /** Pinged by a firing group's message: `@here`, `slack:usergroup:S0DBA`, `discord:role:<id>`, `person:alice` (mentions-schema.ts). */
  mention: mentionSchema.optional(),
  /** Colour of the message; by default derived from the `severity` label. */
  style: z.enum(['danger', 'warning', 'info']).optional(),
  /** A runbook URL (link button) or the name of a configured runbook (button runs `runbook <name> <target>`). */
  runbook: z.string().min(1).max(2000).optional(),
  /** Start the named runbook by itself when a group opens (only if every step before its first approval is `read`). */
  autoRun: z.boolean().optional(),
  /** Escalation policy name (used by the escalation engine). */
  escalation: z.string().min(1).max(80).optional(),
  /** Alertmanager's `continue`: keep matching the routes after this one. */
  continue: z.boolean().default(false),
}).strict().superRefine((r, ctx) => checkMentionSurfaces(r.mention, r.channels, ['mention'], ctx));
export type AlertRouteConfig = z.infer<typeof alertRouteSchema>;

export const alertingSchema = z.object({
  /** Where a group that matches no route goes. */
  defaultChannel: channelAddress.default('console:alerts'),
  routes: z.array(alertRouteSchema).default([]),
  /** Alertmanager base URL for silences (ALERTMANAGER_URL wins). */
  alertmanagerUrl: z.url().optional(),
  /** Bearer token the webhook requires (WEBHOOK_TOKEN wins); write `${WEBHOOK_TOKEN}`. */
  webhookToken: z.string().min(1).optional(),
  /** Accept webhooks without a bearer token when none is configured (otherwise each answers 401 `webhook_token_required`). */
  allowUnauthenticated: z.boolean().default(false),
  /** Largest webhook body accepted (413 above). */
  bodyLimit: byteSize.default(1024 * 1024),
  /** Per-channel chat write rate: at most `messages` calls per `per`. Slack allows about 1/s. */
  rate: z.object({ messages: z.number().int().min(1).max(1000).default(1), per: ms.default(1000) }).strict().default({ messages: 1, per: 1000 }),
  /** More new groups than `threshold` within `window` on one channel: the rest go into digests. */
  storm: z.object({
    threshold: z.number().int().min(1).default(10),
    window: ms.default(60_000),
    /** Groups one digest message names before a new digest starts. */
    digestMaxGroups: z.number().int().min(5).max(100).default(40),
    /** When the storm is over (no new group for `window`), still-open groups get their own message. */
    releaseOpenGroups: z.boolean().default(true),
  }).strict().default({ threshold: 10, window: 60_000, digestMaxGroups: 40, releaseOpenGroups: true }),
  /** Default duration of the Silence button. */
  silenceButton: ms.default(3_600_000),
  /** Timeout for calls to Alertmanager's API. */
  alertmanagerTimeout: ms.default(5_000),
  /** Labels whose value names the target an alert is about (`db`, or `db:9100`), in order: for RBAC, the checklist and the Runbook button. */
  targetLabels: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'A Prometheus label name')).min(1).default([...DEFAULT_TARGET_LABELS]),
}).strict();
export type AlertingConfig = z.infer<typeof alertingSchema>;

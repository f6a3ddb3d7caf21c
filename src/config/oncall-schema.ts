/**
 * On-call config: `schedules` (layers of rotations with restrictions, in a time zone),
 * `escalationPolicies` (ordered steps of targets and delays) and `oncall` (fallback channel,
 * SMTP, the calendar token). References (people, schedules, policies of alert routes) are
 * checked at load time by `checkOncallRefs`, each problem with its key path.
 *
 *   schedules:
 *     primary:
 *       timezone: Europe/Berlin
 *       layers: [ { people: [alice, bob], shift: 1w, handoff: "Mon 09:00", start: 2026-01-05 } ]
 *   escalationPolicies:
 *     critical:
 *       steps:
 *         - { notify: [ { schedule: primary } ], delay: 30m }
 *         - { notify: [ { schedule: primary, layer: next } ], delay: 30m }
 *         - { notify: [ { schedule: manager }, { channel: slack:C0OPS, mention: "@here" } ] }
 *       repeat: 2
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { channelAddress } from './alerting.js';
import { isTimeZone } from './people-schema.js';
import { checkMentionPeople, checkMentionSurfaces, mentionSchema } from './mentions-schema.js';
import { surfaceOf } from '../core/mentions.js';
import type { MentionRef } from '../core/mentions.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** Words `oncall` takes as sub-commands, so they cannot name a schedule. */
const RESERVED_SCHEDULE_NAMES = ['who', 'override', 'remove'];
/** GoAlert and Grafana OnCall cap repeats at 5; so do we. */
export const MAX_REPEAT = 5;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time of day as HH:MM (24h), e.g. 09:00');
const weekday = z.string().trim().toLowerCase().transform((v, ctx) => {
  const day = WEEKDAYS.find((d) => v.startsWith(d) && d.startsWith(v.slice(0, 3)));
  if (!day) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a weekday (mon, tue, wed, thu, fri, sat, sun)` });
    return z.NEVER;
  }
  return day;
});

/** `1w`, `2d`, `12h`: weeks and days are calendar days in the schedule's zone (09:00 stays 09:00 across DST); hours are elapsed hours. */
const shift = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const m = /^\s*(\d+)\s*(h|d|w)\s*$/i.exec(String(v));
  const count = m ? Number(m[1]) : 0;
  if (!m || count < 1 || count > 1000) {
    ctx.addIssue({ code: 'custom', message: `Invalid shift "${v}" (whole hours, days or weeks: 12h, 1d, 1w)` });
    return z.NEVER;
  }
  const unit = (m[2] as string).toLowerCase();
  return unit === 'h' ? { unit: 'hours' as const, count } : { unit: 'days' as const, count: unit === 'w' ? count * 7 : count };
});

/** `Mon 09:00` (weekly rotations) or `09:00`. */
const handoff = z.string().transform((v, ctx) => {
  const m = /^\s*(?:([A-Za-z]+)\s+)?(\d\d:\d\d)\s*$/.exec(v);
  const time = m ? clockTime.safeParse(m[2]) : undefined;
  const day = m?.[1] ? weekday.safeParse(m[1]) : undefined;
  if (!m || !time?.success || (day && !day.success)) {
    ctx.addIssue({ code: 'custom', message: `Invalid handoff "${v}" (write "Mon 09:00" or "09:00")` });
    return z.NEVER;
  }
  return { time: time.data, ...(day?.success ? { weekday: day.data } : {}) };
});

/** YAML turns 2026-01-05 into a Date: accept that, or the text. */
const startDate = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const text = v instanceof Date ? v.toISOString().slice(0, 10) : v.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) {
    ctx.addIssue({ code: 'custom', message: `Invalid start "${text}" (a date: 2026-01-05)` });
    return z.NEVER;
  }
  return text;
});

const ms = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const out = parseDuration(v);
  if (out === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 5m, 30m, 1h)` });
    return z.NEVER;
  }
  return out;
});

export const restrictionSchema = z.object({
  /** Weekdays the window starts on (default every day). */
  days: z.array(weekday).min(1).default([...WEEKDAYS]),
  /** Local time (schedule zone) the window opens. */
  from: clockTime,
  /** Local time it closes; earlier than `from` means the next day (22:00–06:00). */
  to: clockTime,
}).strict().refine((r) => r.from !== r.to, 'from and to must differ');

export const layerSchema = z.object({
  /** Shown in `oncall` (default `layer 1`, `layer 2`…). */
  name: z.string().min(1).max(40).optional(),
  /** People of `people:`, in rotation order. */
  people: z.array(z.string().min(1)).min(1),
  shift,
  /** When shifts change hands; the weekday only for rotations of whole weeks. Default: 09:00. */
  handoff: handoff.default({ time: '09:00' }),
  /** The date that anchors the cycle: the first person's first shift starts at the first handoff on or after it. */
  start: startDate,
  /** The layer covers only these windows (business hours, follow-the-sun). */
  restrictions: z.array(restrictionSchema).default([]),
}).strict();

export const scheduleSchema = z.object({
  /** IANA zone the handoffs, restrictions and the `oncall` table are in. */
  timezone: z.string().superRefine((v, ctx) => {
    if (!isTimeZone(v)) ctx.addIssue({ code: 'custom', message: `"${v}" is not an IANA time zone (e.g. Europe/Berlin)` });
  }),
  /** Later layers win where they cover. */
  layers: z.array(layerSchema).min(1),
  /** Announce each handoff here; the person coming on call also gets a direct message. */
  handoffChannel: channelAddress.optional(),
}).strict();

const personRef = z.string().min(1);
const notifyTargetBranches = [
  /** The on-call of a schedule: `layer: next` pages the one after them in the answering layer (the secondary). */
  z.object({ schedule: z.string().min(1), layer: z.union([z.literal('current'), z.literal('next'), z.string().min(1)]).default('current') }).strict(),
  /** A person of `people:`: a direct message on each surface they have. */
  z.object({ person: personRef }).strict(),
  /** A line in a channel, with a surface-neutral mention (`@here`, `person:alice`; mentions-schema.ts). */
  z.object({ channel: channelAddress, mention: mentionSchema.optional() }).strict().superRefine((t, ctx) => checkMentionSurfaces(t.mention, [t.channel], ['mention'], ctx)),
  /** A Slack user group or Discord role, mentioned in `channel`. */
  z.object({ group: z.string().regex(/^(slack:usergroup:S[A-Z0-9]+|discord:role:\d{1,20})$/, 'slack:usergroup:S0123 or discord:role:<id>'), channel: channelAddress }).strict()
    .superRefine((t, ctx) => {
      if (surfaceOf(t.group) !== surfaceOf(t.channel)) ctx.addIssue({ code: 'custom', path: ['group'], message: `${t.group} can ping only in a ${surfaceOf(t.group)}: channel, not ${t.channel}` });
    }),
  /** An e-mail through `oncall.email` SMTP: a person of `people:` (their email) or an address. */
  z.object({ email: z.union([z.email(), personRef]) }).strict(),
  /** A JSON POST (chat may be down). */
  z.object({ webhook: z.url(), headers: z.record(z.string(), z.string()).default({}) }).strict(),
] as const;
const notifyTargetUnion = z.union(notifyTargetBranches);

/** The key that tells which target a step names (`group` before `channel`: a group target has both). */
const TARGET_KEYS = ['schedule', 'person', 'group', 'channel', 'email', 'webhook'] as const;
const [scheduleTarget, personTarget, channelTarget, groupTarget, emailTarget, webhookTarget] = notifyTargetBranches;
const BRANCH = { schedule: scheduleTarget, person: personTarget, channel: channelTarget, group: groupTarget, email: emailTarget, webhook: webhookTarget } as const;

/** A notify target, validated as the kind its key names, so its own problems (a bad mention) are reported, not "Invalid input". */
export const notifyTargetSchema = z.unknown().transform((v, ctx): z.infer<typeof notifyTargetUnion> => {
  const key = v && typeof v === 'object' ? TARGET_KEYS.find((k) => k in v) : undefined;
  const r = key ? BRANCH[key].safeParse(v) : notifyTargetUnion.safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: issue.path as PropertyKey[], message: issue.message });
  return z.NEVER;
});
export type NotifyTarget = z.infer<typeof notifyTargetSchema>;

export const policyStepSchema = z.object({
  notify: z.array(notifyTargetSchema).min(1),
  /** Wait after this step before the next (on the last step: before the policy repeats). */
  delay: ms.default(30 * 60_000),
}).strict();

export const escalationPolicySchema = z.object({
  steps: z.array(policyStepSchema).min(1).max(20),
  /** Run the steps again this many times after the last one until someone acknowledges (0–5). */
  repeat: z.number().int().min(0).max(MAX_REPEAT).default(0),
}).strict();

export const oncallSettingsSchema = z.object({
  /** Where "nobody is on call" goes (a schedule that answers nobody, an override naming nobody). */
  fallbackChannel: channelAddress.default('console:alerts'),
  /** SMTP for `email` targets: `smtp://user:pass@host:587` (write `${SMTP_URL}`). */
  email: z.object({ smtpUrl: z.string().min(1), from: z.string().min(3) }).strict().optional(),
  /** Token for `GET /oncall/<schedule>.ics?token=` (write `${ONCALL_CALENDAR_TOKEN}`); no token: the route is off. */
  calendarToken: z.string().min(16).optional(),
  /** A step this late (bot down) fires with a note that it is late. */
  lateAfter: ms.default(60_000),
  /** How often the engine looks for due steps and handoffs (from the store, so every replica sees them). */
  tick: ms.default(1_000),
}).strict();

/** Spread into the config's top-level object. */
export const oncallSections = {
  schedules: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'A schedule name: lower-case letters, digits, "_" and "-"'), scheduleSchema).default({}),
  escalationPolicies: z.record(z.string().min(1).max(80), escalationPolicySchema).default({}),
  oncall: oncallSettingsSchema.default(() => oncallSettingsSchema.parse({})),
};

export type ScheduleConfig = z.infer<typeof scheduleSchema>;
export type LayerConfig = z.infer<typeof layerSchema>;
export type EscalationPolicyConfig = z.infer<typeof escalationPolicySchema>;
export type OncallSettings = z.infer<typeof oncallSettingsSchema>;

interface OncallRefs {
  people: Record<string, { email?: string | undefined }>;
  schedules: Record<string, ScheduleConfig>;
  escalationPolicies: Record<string, EscalationPolicyConfig>;
  oncall: OncallSettings;
  alerting: { routes: { escalation?: string | undefined; mention?: MentionRef[] | undefined }[] };
}

/** People, schedules and policies named anywhere must exist. */
export function checkOncallRefs(cfg: OncallRefs, ctx: z.RefinementCtx): void {
  const people = Object.keys(cfg.people);
  const known = (list: string[]) => list.join(', ') || 'none';
  for (const [name, s] of Object.entries(cfg.schedules)) {
    if (RESERVED_SCHEDULE_NAMES.includes(name)) ctx.addIssue({ code: 'custom', path: ['schedules', name], message: `"${name}" is a word of the oncall command; name the schedule otherwise` });
    s.layers.forEach((layer, i) => {
      layer.people.forEach((p, j) => {
        if (!cfg.people[p]) ctx.addIssue({ code: 'custom', path: ['schedules', name, 'layers', i, 'people', j], message: `Unknown person "${p}" (people: ${known(people)})` });
      });
      if (layer.handoff.weekday && layer.shift.unit === 'hours') {
        ctx.addIssue({ code: 'custom', path: ['schedules', name, 'layers', i, 'handoff'], message: 'A handoff weekday needs a shift of whole days or weeks' });
      }
    });
  }
  for (const [name, policy] of Object.entries(cfg.escalationPolicies)) {
    policy.steps.forEach((step, i) => {
      step.notify.forEach((t, j) => {
        const path = ['escalationPolicies', name, 'steps', i, 'notify', j];
        if ('schedule' in t) {
          const s = cfg.schedules[t.schedule];
          if (!s) ctx.addIssue({ code: 'custom', path: [...path, 'schedule'], message: `Unknown schedule "${t.schedule}" (schedules: ${known(Object.keys(cfg.schedules))})` });
          else if (t.layer !== 'current' && t.layer !== 'next' && !s.layers.some((l, k) => (l.name ?? `layer ${k + 1}`) === t.layer)) {
            ctx.addIssue({ code: 'custom', path: [...path, 'layer'], message: `Schedule "${t.schedule}" has no layer "${t.layer}" (current, next or a layer name)` });
          }
        }
        if ('channel' in t && 'mention' in t) checkMentionPeople(t.mention, cfg.people, [...path, 'mention'], ctx);
        if ('person' in t && !cfg.people[t.person]) ctx.addIssue({ code: 'custom', path: [...path, 'person'], message: `Unknown person "${t.person}" (people: ${known(people)})` });
        if ('email' in t) {
          if (!cfg.oncall.email) ctx.addIssue({ code: 'custom', path: [...path, 'email'], message: 'An email target needs oncall.email (smtpUrl, from)' });
          if (!t.email.includes('@')) {
            const p = cfg.people[t.email];
            if (!p) ctx.addIssue({ code: 'custom', path: [...path, 'email'], message: `Unknown person "${t.email}" (people: ${known(people)}), or write an address` });
            else if (!p.email) ctx.addIssue({ code: 'custom', path: [...path, 'email'], message: `Person "${t.email}" has no email in people:` });
          }
        }
      });
    });
  }
  cfg.alerting.routes.forEach((r, i) => {
    checkMentionPeople(r.mention, cfg.people, ['alerting', 'routes', i, 'mention'], ctx);
    if (r.escalation && !cfg.escalationPolicies[r.escalation]) {
      ctx.addIssue({ code: 'custom', path: ['alerting', 'routes', i, 'escalation'], message: `Unknown escalation policy "${r.escalation}" (escalationPolicies: ${known(Object.keys(cfg.escalationPolicies))})` });
    }
  });
}

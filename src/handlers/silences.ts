/**
 * `silences` · `unsilence <id>` · `silence --match '<matchers>' <duration> [reason]`: Alertmanager's
 * silences from chat, before or without an alert group. RBAC scope comes from the matchers: the
 * targets their equality matchers on `alerting.targetLabels` name (see `silenceTouches`).
 */
import { z } from 'zod';
import { defineCommand, type CommandContext, type Touch } from '../core/command.js';
import { table, textReply, type ReplyButton } from '../core/reply.js';
import { UserError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { parseMatcher } from '../core/alerts/matchers.js';
import { ENVIRONMENT_LABELS, type AlertTargets } from '../core/alerts/targets.js';
import { targetOfMatcherValue } from '../core/maintenance/silence-form.js';
import { formatSilenceMatcher, type AlertmanagerClient, type Silence, type SilenceMatcher } from '../ops/alertmanager.js';
import { hiddenNote } from './targets.js';

const MIN_SILENCE = 60_000;
const MAX_SILENCE = 30 * 86_400_000;

/** `30m`, `1h`, `1d`: between 1m and 30d, like the `silence` command. */
export const quietDuration = z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms < MIN_SILENCE || ms > MAX_SILENCE) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration between 1m and 30d (e.g. 30m, 1h, 1d)` });
    return z.NEVER;
  }
  return ms;
});

export const who = (ctx: CommandContext) => ctx.subject.display ?? ctx.subject.id;

/** `alertname="X", instance=~"db.*"` or `{alertname="X"}`: split at commas outside quotes. */
export function splitMatchers(text: string): string[] {
  const body = text.trim().replace(/^\{([\s\S]*)\}$/, '$1');
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch === '\\' && quoted && i + 1 < body.length) {
      cur += ch + (body[++i] as string);
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Matchers typed in chat, parsed by the same code as the routes' matchers, in Alertmanager's API shape. */
const matchersArg = z.string().max(1000).transform((text, ctx): SilenceMatcher[] => {
  const out: SilenceMatcher[] = [];
  for (const part of splitMatchers(text)) {
    try {
      const m = parseMatcher(part);
      out.push({ name: m.name, value: m.value, isRegex: m.op === '=~' || m.op === '!~', isEqual: m.op === '=' || m.op === '=~' });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }
  if (out.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'give at least one matcher, e.g. \'alertname="DiskFull"\'' });
    return z.NEVER;
  }
  if (!out.some((m) => m.isEqual && !(m.isRegex ? new RegExp(`^(?:${m.value})$`).test('') : m.value === ''))) {
    ctx.addIssue({ code: 'custom', message: 'at least one matcher must not match the empty string (a silence of every alert is not allowed)' });
    return z.NEVER;
  }
  return out;
});

/**
 * What a silence touches, for RBAC: each configured target named by an equality matcher on a
 * label of `alerting.targetLabels` (`instance="db:9100"` → db), or by a maintenance window's
 * `<label>=~"<target>(:.*)?"`; with none, the environment of an `environment` / `env` equality
 * matcher; with neither, something only a role without target or environment limits may touch.
 */
export function silenceTouches(matchers: readonly SilenceMatcher[], targets: AlertTargets): Touch[] {
  const labels: Record<string, string> = {};
  const named: string[] = [];
  for (const m of matchers) {
    if (!m.isEqual) continue;
    if (!m.isRegex) labels[m.name] = m.value;
    else {
      const t = targetOfMatcherValue(m.value);
      if (t && targets.targetNamedBy(t) === t) named.push(t);
    }
  }
  for (const t of targets.targetsOfLabels(labels)) if (!named.includes(t)) named.push(t);
  if (named.length) return named.map((target) => ({ target }));
  const environment = ENVIRONMENT_LABELS.map((k) => labels[k]).find((v) => v);
  return [environment ? { environment } : {}];
}

const matchersText = (ms: readonly SilenceMatcher[]) => `{${ms.map(formatSilenceMatcher).join(', ')}}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const silenceId = z.string().trim().toLowerCase().regex(/^[0-9a-f][0-9a-f-]{5,35}$/, 'a silence id is Alertmanager\'s UUID or its first 6+ characters (`silences` lists them)');

export interface SilenceCommandDeps {
  /** Undefined when ALERTMANAGER_URL (or alerting.alertmanagerUrl) is not set. */
  alertmanager?: AlertmanagerClient | undefined;
  targets: AlertTargets;
  clock: Clock;
}

export function silenceCommands(deps: SilenceCommandDeps) {
  const am = (): AlertmanagerClient => {
    if (!deps.alertmanager) throw new UserError('unavailable', 'Silences need Alertmanager: set ALERTMANAGER_URL.');
    return deps.alertmanager;
  };
  /** A full id, or the one unexpired silence whose id starts with it. */
  const resolve = async (id: string): Promise<Silence> => {
    if (UUID.test(id)) return am().getSilence(id);
    const found = (await am().listSilences()).filter((s) => s.id.startsWith(id));
    if (found.length === 1) return found[0] as Silence;
    if (found.length === 0) throw new UserError('not_found', `No active or pending silence with an id starting ${id} (\`silences\` lists them)`);
    throw new UserError('invalid', `${found.length} silences have ids starting ${id}: give more of the id`);
  };
  const touchesOf = (s: Silence) => silenceTouches(s.matchers, deps.targets);
  const LISTED = 50;
  return [
    defineCommand({
      name: 'silences',
      summary: 'List Alertmanager\'s active and pending silences (id, matchers, until, by, comment)',
      params: [],
      schema: z.object({}),
      risk: 'read',
      touches: () => 'filtered',
      timeoutMs: 15_000,
      async run(ctx) {
        const all = await am().listSilences();
        const visible = all.filter((s) => ctx.access.allowsAll(touchesOf(s)));
        const hidden = all.length - visible.length;
        if (visible.length === 0) {
          const none = textReply('Silences', 'ok', `No active silences${hidden ? ' in your scope' : ''}.`, 'ephemeral');
          return { ...none, blocks: [...none.blocks, ...hiddenNote(hidden, ['silence', 'silences'])] };
        }
        const shown = visible.slice(0, LISTED);
        const now = deps.clock.now();
        const buttons: ReplyButton[] = shown.slice(0, 5).map((s) => ({ label: `Expire ${s.id.slice(0, 8)}`, command: `unsilence ${s.id}`, style: 'danger' }));
        return {
          title: `Silences: ${visible.length}`,
          status: 'info',
          blocks: [
            table(['Id', 'Matchers', 'Until', 'By', 'Comment'], shown.map((s) => [
              s.id.slice(0, 8),
              matchersText(s.matchers),
              `${s.endsAt.toISOString()} (${formatDuration(Math.max(0, s.endsAt.getTime() - now))} left${s.state === 'pending' ? `, starts ${s.startsAt.toISOString()}` : ''})`,
              s.createdBy,
              s.comment.slice(0, 200),
            ])),
            ...(visible.length > shown.length ? [{ type: 'text' as const, text: `…and ${visible.length - shown.length} more.` }] : []),
            ...hiddenNote(hidden, ['silence', 'silences']),
          ],
          buttons,
          visibility: 'ephemeral',
        };
      },
    }),
    defineCommand({
      name: 'unsilence',
      summary: 'Expire an Alertmanager silence now',
      params: [{ name: 'id', kind: 'positional', type: 'string', required: true, description: 'Silence id, or its first 6+ characters (`silences` lists them)' }],
      schema: z.object({ id: silenceId }),
      risk: 'write',
      touches: async (a) => touchesOf(await resolve(a.id)),
      timeoutMs: 15_000,
      async describe(a) {
        const s = await resolve(a.id);
        return `expire silence ${s.id} ${matchersText(s.matchers)} in Alertmanager (${am().url}), which would otherwise last until ${s.endsAt.toISOString()}`;
      },
      async run(_ctx, a) {
        const s = await resolve(a.id);
        if (s.state === 'expired') throw new UserError('conflict', `Silence ${s.id} has already expired.`);
        await am().expireSilence(s.id);
        const maintenance = /^opsbot maintenance (m[0-9a-f]+)/.exec(s.comment)?.[1];
        const note = maintenance ? ` It belonged to maintenance window ${maintenance}, which stays open: \`maintenance end ${maintenance}\` ends it.` : '';
        return textReply(`Expired silence ${s.id.slice(0, 8)}`, 'ok', `Silence ${s.id} ${matchersText(s.matchers)} expired; matching alerts notify again.${note}`, 'ephemeral');
      },
    }),
    defineCommand({
      name: 'silence match',
      // The issue's grammar: `silence --match '<matchers>' <duration> [reason]`.
      aliases: ['silence --match'],
      summary: 'Silence alerts by label matchers in Alertmanager, before anything fires',
      params: [
        { name: 'matchers', kind: 'positional', type: 'string', required: true, description: 'Alertmanager matchers, quoted: \'alertname="DiskFull", instance=~"db.*"\'' },
        { name: 'duration', kind: 'positional', type: 'string', required: true, description: 'How long: 30m, 1h, 1d (1m to 30d)' },
        { name: 'reason', kind: 'positional', type: 'string', rest: true, description: 'Why (the silence comment)' },
      ],
      schema: z.object({ matchers: matchersArg, duration: quietDuration, reason: z.string().max(500).optional() }),
      risk: 'write',
      touches: (a) => silenceTouches(a.matchers, deps.targets),
      timeoutMs: 15_000,
      describe(a) {
        return `create a silence in Alertmanager${deps.alertmanager ? ` (${deps.alertmanager.url})` : ''} for ${formatDuration(a.duration)} matching ${matchersText(a.matchers)}`;
      },
      async run(ctx, a) {
        const startsAt = deps.clock.date();
        const endsAt = new Date(startsAt.getTime() + a.duration);
        const user = who(ctx);
        const id = await am().createSilence({
          matchers: a.matchers, startsAt, endsAt, createdBy: user,
          comment: a.reason ?? `Silenced from chat by ${user} (opsbot)`,
        });
        return textReply(`Silenced ${matchersText(a.matchers)}`, 'ok', `Alertmanager silence ${id} matches ${matchersText(a.matchers)} for ${formatDuration(a.duration)} (until ${endsAt.toISOString()}). \`unsilence ${id.slice(0, 8)}\` ends it.`, 'ephemeral');
      },
    }),
  ];
}

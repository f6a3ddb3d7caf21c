/**
 * `alerts [alert]` · `ack <alert>` · `resolve <alert>` · `silence <alert> <duration> [reason]`.
 * The buttons of an alert message run these same commands.
 */
import { z } from 'zod';
import { defineCommand, type CommandContext } from '../core/command.js';
import { table, textReply } from '../core/reply.js';
import { UserError } from '../core/errors.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { counts, groupName, severityOf, stateOf } from '../core/alerts/group.js';
import type { AlertService } from '../core/alerts/service.js';
import type { AlertTargets } from '../core/alerts/targets.js';
import { AlertmanagerClient } from '../ops/alertmanager.js';
import { hiddenNote } from './targets.js';

const alertId = z.string().trim().toLowerCase().regex(/^[0-9a-f]{4,16}$/, 'an alert id looks like a1b2 (`alerts` lists them)');
const alertParam = { name: 'alert', kind: 'positional', type: 'string', required: true, description: 'Alert id shown on the message (a1b2)', complete: 'alert' } as const;

const MIN_SILENCE = 60_000;
const MAX_SILENCE = 30 * 86_400_000;
const silenceDuration = z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms < MIN_SILENCE || ms > MAX_SILENCE) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a silence duration between 1m and 30d (e.g. 30m, 1h, 1d)` });
    return z.NEVER;
  }
  return ms;
});

const who = (ctx: CommandContext) => ctx.subject.display ?? ctx.subject.id;

export interface AlertCommandDeps {
  service: AlertService;
  /** The targets (and so the RBAC scope) of a group, from its labels (`alerting.targetLabels`). */
  targets: AlertTargets;
  /** Undefined when ALERTMANAGER_URL (or alerting.alertmanagerUrl) is not set. */
  alertmanager?: AlertmanagerClient;
  now?: () => Date;
}

export function alertCommands(deps: AlertCommandDeps) {
  const { service } = deps;
  const now = deps.now ?? (() => new Date());
  /** Acting on a group touches every target its labels name: RBAC checks each before the call runs. */
  const groupTouches = async (id: string) => deps.targets.touchesOf(await service.find(id));
  const CHECKED = 1_000;
  return [
    defineCommand({
      name: 'alerts',
      summary: 'List open alert groups, newest first, or show one',
      params: [{ name: 'alert', kind: 'positional', type: 'string', description: 'Show this alert group in full', complete: 'alert' }],
      schema: z.object({ alert: alertId.optional() }),
      risk: 'read',
      touches: (a) => (a.alert ? groupTouches(a.alert) : 'filtered'),
      async run(ctx, a) {
        if (a.alert) return { ...(await service.renderFor(await service.find(a.alert))), visibility: 'ephemeral' };
        const newest = await service.listOpen(CHECKED);
        const visible = newest.filter((g) => ctx.access.allowsAll(deps.targets.touchesOf(g)));
        const hidden = newest.length - visible.length;
        const unchecked = Math.max(0, (await service.countOpen()) - newest.length);
        const open = visible.slice(0, 50);
        const t = now().getTime();
        const notes = [
          ...(visible.length > open.length ? [{ type: 'text' as const, text: `…and ${visible.length - open.length} older open group(s).` }] : []),
          ...hiddenNote(hidden, ['open alert group', 'open alert groups']),
          ...(unchecked ? [{ type: 'text' as const, text: `${unchecked} older open group(s) beyond the newest ${CHECKED} not listed.` }] : []),
        ];
        if (open.length === 0) {
          const none = textReply('Alerts', 'ok', `No open alert groups${hidden ? ' in your scope' : ''}.`, 'ephemeral');
          return { ...none, blocks: [...none.blocks, ...notes] };
        }
        return {
          title: `Open alert groups: ${visible.length}`,
          status: open.some((g) => stateOf(g, t) === 'firing') ? 'warn' : 'info',
          blocks: [
            table(['Id', 'Alert', 'Severity', 'State', 'Firing', 'Since', 'Channels'], open.map((g) => [
              g._id, groupName(g), severityOf(g), stateOf(g, t), String(counts(g).firing),
              `${formatDuration(t - g.firstSeenAt.getTime())} ago`, g.routes.map((r) => r.channel).join(' '),
            ])),
            ...notes,
          ],
          visibility: 'ephemeral',
        };
      },
    }),
    defineCommand({
      name: 'ack',
      aliases: ['acknowledge'],
      summary: 'Acknowledge an alert group: records who and when, updates its messages',
      params: [alertParam],
      schema: z.object({ alert: alertId }),
      risk: 'write',
      touches: (a) => groupTouches(a.alert),
      async describe(a) {
        const g = await service.find(a.alert);
        return `acknowledge alert ${g._id} (${groupName(g)}) and update its message in ${g.routes.map((r) => r.channel).join(', ')}`;
      },
      async run(ctx, a) {
        const g = await service.acknowledge(a.alert, who(ctx));
        return textReply(`Acknowledged ${g._id}`, 'ok', `${groupName(g)} acknowledged by ${g.ackedBy}.`, 'ephemeral');
      },
    }),
    defineCommand({
      name: 'resolve',
      summary: 'Mark an alert group resolved by hand (it reopens if Alertmanager fires again)',
      params: [alertParam],
      schema: z.object({ alert: alertId }),
      risk: 'write',
      touches: (a) => groupTouches(a.alert),
      async describe(a) {
        const g = await service.find(a.alert);
        return `mark alert ${g._id} (${groupName(g)}) resolved and update its message in ${g.routes.map((r) => r.channel).join(', ')}`;
      },
      async run(ctx, a) {
        const g = await service.resolve(a.alert, who(ctx));
        return textReply(`Resolved ${g._id}`, 'ok', `${groupName(g)} marked resolved by ${g.resolvedBy}.`, 'ephemeral');
      },
    }),
    defineCommand({
      name: 'silence',
      summary: 'Silence an alert group in Alertmanager for a while',
      params: [
        alertParam,
        { name: 'duration', kind: 'positional', type: 'string', required: true, description: 'How long: 30m, 1h, 1d (1m to 30d)' },
        { name: 'reason', kind: 'positional', type: 'string', rest: true, description: 'Why (the silence comment)' },
      ],
      schema: z.object({ alert: alertId, duration: silenceDuration, reason: z.string().max(500).optional() }),
      risk: 'write',
      touches: (a) => groupTouches(a.alert),
      timeoutMs: 15_000,
      async describe(a) {
        const g = await service.find(a.alert);
        const m = Object.entries(service.silenceMatchers(g)).map(([k, v]) => `${k}="${v}"`).join(', ');
        return `create a silence in Alertmanager${deps.alertmanager ? ` (${deps.alertmanager.url})` : ''} for ${formatDuration(a.duration)} matching {${m}} and mark alert ${g._id} silenced`;
      },
      async run(ctx, a) {
        const am = deps.alertmanager;
        if (!am) throw new UserError('unavailable', 'Silences need Alertmanager: set ALERTMANAGER_URL.');
        const g = await service.find(a.alert);
        if (!g.open) throw new UserError('conflict', `Alert ${g._id} is already resolved.`);
        const startsAt = now();
        const endsAt = new Date(startsAt.getTime() + a.duration);
        const user = who(ctx);
        const silenceId = await am.createSilence({
          matchers: AlertmanagerClient.matchersFor(service.silenceMatchers(g)),
          startsAt,
          endsAt,
          createdBy: user,
          comment: a.reason ?? `Silenced from chat by ${user} (opsbot alert ${g._id}, ${groupName(g)})`,
        });
        await service.recordSilence(g._id, user, silenceId, endsAt);
        return textReply(`Silenced ${g._id}`, 'ok', `${groupName(g)} silenced for ${formatDuration(a.duration)} (until ${endsAt.toISOString()}). Alertmanager silence ${silenceId}.`, 'ephemeral');
      },
    }),
  ];
}

/**
 * `oncall [schedule]` · `oncall who <schedule> [--at TIME]` ·
 * `oncall override <schedule> <person> <duration> [--from TIME]` · `oncall override remove <id>`.
 * Times are shown in the schedule's zone. Schedules are not targets: every role allowed `oncall`
 * sees them; overrides change who gets paged, so they need a role without target limits.
 */
import { z } from 'zod';
import { DateTime } from 'luxon';
import { defineCommand } from '../core/command.js';
import { fields, table, textReply, type Reply, type ReplyBlock } from '../core/reply.js';
import { UserError } from '../core/errors.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import type { Clock } from '../core/clock.js';
import type { OnCall } from '../core/oncall/service.js';

export interface OncallCommandDeps {
  oncall: OnCall;
  clock: Clock;
}

const WEEK_MS = 7 * 86_400_000;
const scheduleParam = { name: 'schedule', kind: 'positional', type: 'string', required: true, description: 'Schedule name', complete: 'schedule' } as const;
const timeParam = (name: string, description: string) => ({ name, kind: 'flag', type: 'string', description, placeholder: 'TIME' }) as const;

/** `2026-03-29T10:00` (the schedule's zone unless it carries an offset), `2026-03-29 10:00`, `+2h` (from now), `now`. */
export function parseTime(text: string, zone: string, now: number): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (t.startsWith('+')) {
    const ms = parseDuration(t.slice(1));
    if (ms !== undefined) return now + ms;
  }
  const dt = DateTime.fromISO(t.replace(' ', 'T'), { zone, setZone: false });
  if (!dt.isValid) throw new UserError('invalid', `"${text}" is not a time: write 2026-03-29T10:00 (in ${zone} unless you add an offset), +2h or now`);
  return dt.toMillis();
}

const localOf = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat('ccc dd LLL HH:mm');

export function oncallCommands(deps: OncallCommandDeps) {
  const { oncall, clock } = deps;

  async function overview(): Promise<Reply> {
    const now = clock.now();
    const rows: string[][] = [];
    for (const name of oncall.names()) {
      const s = oncall.schedule(name);
      const overrides = await oncall.overridesOf(name, new Date(now - 90 * 86_400_000));
      const a = s.at(now, overrides);
      const until = s.until(now, overrides);
      rows.push([name, a.person ?? 'nobody', a.source ?? '-', until ? localOf(until, s.zone) : '-', s.nextAt(now, overrides) ?? '-', s.zone]);
    }
    if (rows.length === 0) return textReply('On call', 'info', 'No schedules are configured (see `schedules:` in the README).', 'ephemeral');
    return { title: 'On call now', status: rows.some((r) => r[1] === 'nobody') ? 'warn' : 'info', blocks: [table(['Schedule', 'On call', 'From', 'Until', 'Next', 'Zone'], rows)], visibility: 'ephemeral' };
  }

  async function detail(name: string): Promise<Reply> {
    const s = oncall.schedule(name);
    const now = clock.now();
    const overrides = await oncall.overridesOf(name, new Date(now - 90 * 86_400_000));
    const a = s.at(now, overrides);
    const until = s.until(now, overrides);
    const shifts = s.timeline(now, now + WEEK_MS, overrides);
    const upcoming = overrides.filter((o) => o.until.getTime() > now);
    const blocks: ReplyBlock[] = [
      fields({ 'On call': a.person ? `@${a.person} (${a.source})` : 'nobody', Until: until ? localOf(until, s.zone) : 'no change in sight', Zone: s.zone }),
      table(['Layer', 'On call', 'Until'], a.layers.map((l) => [l.layer, l.person ?? '-', l.until ? localOf(l.until, s.zone) : '-']), 'Layers (later layers win)'),
      table(['From', 'To', 'On call', 'Length'], shifts.map((x) => [localOf(x.from, s.zone), localOf(x.to, s.zone), x.person ?? 'nobody', formatDuration(x.to - x.from)]), 'Next 7 days'),
    ];
    if (upcoming.length) blocks.push(table(['Override', 'Person', 'From', 'Until', 'By'], upcoming.map((o) => [o._id, o.person, localOf(o.from.getTime(), s.zone), localOf(o.until.getTime(), s.zone), o.by]), 'Overrides'));
    return { title: `On call: ${name}`, status: a.person ? 'info' : 'warn', blocks, visibility: 'ephemeral' };
  }

  return [
    defineCommand({
      name: 'oncall',
      summary: 'Who is on call now, on each layer, until when, and the next 7 days',
      params: [{ name: 'schedule', kind: 'positional', type: 'string', description: 'One schedule in detail', complete: 'schedule' }],
      schema: z.object({ schedule: z.string().min(1).optional() }),
      risk: 'read',
      touches: () => 'filtered',
      run: async (_ctx, a) => (a.schedule ? detail(a.schedule) : overview()),
    }),
    defineCommand({
      name: 'oncall who',
      summary: 'Who is on call on a schedule at a time',
      params: [scheduleParam, timeParam('at', 'When: 2026-03-29T10:00 (schedule zone), +2h, now')],
      schema: z.object({ schedule: z.string().min(1), at: z.string().optional() }),
      risk: 'read',
      touches: () => 'filtered',
      async run(_ctx, a) {
        const s = oncall.schedule(a.schedule);
        const t = a.at ? parseTime(a.at, s.zone, clock.now()) : clock.now();
        const answer = await oncall.answerAt(a.schedule, new Date(t));
        return {
          title: `${a.schedule} at ${localOf(t, s.zone)}`,
          status: answer.person ? 'info' : 'warn',
          blocks: [fields({ 'On call': answer.person ? `@${answer.person}` : 'nobody', From: answer.source, Zone: s.zone })],
          visibility: 'ephemeral',
        };
      },
    }),
    defineCommand({
      name: 'oncall override',
      summary: 'Someone covers a schedule for a while (a swap is two overrides)',
      params: [
        scheduleParam,
        { name: 'person', kind: 'positional', type: 'string', required: true, description: 'Who covers (a person of people:)' },
        { name: 'duration', kind: 'positional', type: 'string', required: true, description: 'How long: 4h, 1d (1m to 90d)' },
        timeParam('from', 'Start: 2026-03-29T10:00 (schedule zone), +1d; default now'),
      ],
      schema: z.object({
        schedule: z.string().min(1),
        person: z.string().min(1),
        duration: z.string().transform((v, ctx) => {
          const ms = parseDuration(v);
          if (ms === undefined) {
            ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (4h, 1d)` });
            return z.NEVER;
          }
          return ms;
        }),
        from: z.string().optional(),
      }),
      risk: 'write',
      touches: () => [],
      describe(a) {
        return `record an override: ${a.person} covers schedule ${a.schedule} for ${formatDuration(a.duration)}${a.from ? ` from ${a.from}` : ' from now'}`;
      },
      async run(ctx, a) {
        const s = oncall.schedule(a.schedule);
        const from = a.from ? parseTime(a.from, s.zone, clock.now()) : clock.now();
        const o = await oncall.addOverride({ schedule: a.schedule, person: a.person, from: new Date(from), durationMs: a.duration, by: ctx.subject.person ?? ctx.subject.display ?? ctx.subject.id });
        return textReply(`Override ${o._id}`, 'ok', `@${o.person} covers ${o.schedule} from ${localOf(from, s.zone)} until ${localOf(o.until.getTime(), s.zone)} (${s.zone}). Remove it with \`oncall override remove ${o._id}\`.`, 'channel');
      },
    }),
    defineCommand({
      name: 'oncall override remove',
      summary: 'Remove an override',
      params: [{ name: 'id', kind: 'positional', type: 'string', required: true, description: 'Override id (`oncall <schedule>` lists them)' }],
      schema: z.object({ id: z.string().regex(/^[0-9a-f]{4,16}$/, 'an override id looks like 3f9a1c') }),
      risk: 'write',
      touches: () => [],
      async describe(a) {
        const o = await oncall.findOverride(a.id);
        if (!o) throw new UserError('not_found', `No override ${a.id}.`);
        return `remove override ${o._id} (${o.person} on ${o.schedule})`;
      },
      async run(_ctx, a) {
        const o = await oncall.removeOverride(a.id);
        return textReply(`Removed override ${o._id}`, 'ok', `@${o.person} no longer covers ${o.schedule} (${o.from.toISOString()} – ${o.until.toISOString()}).`, 'channel');
      },
    }),
  ];
}

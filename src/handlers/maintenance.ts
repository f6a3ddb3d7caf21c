/**
 * `maintenance <target> <duration> [reason]` · `maintenance list` · `maintenance end <id>`:
 * per-target maintenance windows (src/core/maintenance/). A target named `list` or `end` would be
 * shadowed by the subcommands; target names are checked against the configured targets.
 */
import { z } from 'zod';
import { defineCommand } from '../core/command.js';
import { table, textReply } from '../core/reply.js';
import { formatDuration } from '../core/duration.js';
import type { Clock } from '../core/clock.js';
import type { MaintenanceService } from '../core/maintenance/service.js';
import type { MaintenanceRecord } from '../core/maintenance/record.js';
import { suggest } from '../core/suggest.js';
import { hiddenNote } from './targets.js';
import { quietDuration, who } from './silences.js';

export interface MaintenanceCommandDeps {
  service: MaintenanceService;
  /** The configured target names. */
  targets: () => readonly string[];
  clock: Clock;
}

const windowId = z.string().trim().toLowerCase().regex(/^m[0-9a-f]{5}$/, 'a maintenance window id looks like m1a2b (`maintenance list` shows them)');

export function maintenanceCommands(deps: MaintenanceCommandDeps) {
  const { service } = deps;
  const targetName = z.string().trim().superRefine((name, ctx) => {
    const names = deps.targets();
    if (names.includes(name)) return;
    const guess = suggest(name, [...names]);
    ctx.addIssue({ code: 'custom', message: `No target named "${name}".${guess ? ` Did you mean "${guess}"?` : ''} Targets: ${names.join(', ') || 'none configured'}.` });
  });
  const row = (r: MaintenanceRecord, now: number): string[] => [
    r._id, r.target, r.from.toISOString(),
    r.state === 'active' && r.until.getTime() > now ? `${r.until.toISOString()} (${formatDuration(r.until.getTime() - now)} left)` : r.until.toISOString(),
    r.by, r.reason ?? '', r.silenceIds.length ? String(r.silenceIds.length) : 'none',
  ];
  const COLUMNS = ['Id', 'Target', 'From', 'Until', 'By', 'Reason', 'Silences'];
  return [
    defineCommand({
      name: 'maintenance',
      summary: 'Put a target under maintenance: its alerts silenced, escalations and job notifications paused, the channel told when it starts and ends',
      params: [
        { name: 'target', kind: 'positional', type: 'string', required: true, description: 'Target name', complete: 'target' },
        { name: 'duration', kind: 'positional', type: 'string', required: true, description: 'How long: 30m, 2h, 1d (1m to 30d)' },
        { name: 'reason', kind: 'positional', type: 'string', rest: true, description: 'Why (shown in the channel and the silences)' },
      ],
      schema: z.object({ target: targetName, duration: quietDuration, reason: z.string().max(500).optional() }),
      risk: 'write',
      targetOf: (a) => a.target,
      timeoutMs: 20_000,
      describe(a) {
        const until = new Date(deps.clock.now() + a.duration).toISOString();
        const silences = service.silencer
          ? `create silences in ${service.silencer.where} matching ${service.silencer.describe(a.target)}`
          : 'silence nothing in Alertmanager (ALERTMANAGER_URL is not set)';
        return `start a maintenance window on ${a.target} for ${formatDuration(a.duration)} (until ${until}): ${silences}, pause escalations and job notifications for ${a.target}, and announce its start and end in this channel`;
      },
      async run(ctx, a) {
        const r = await service.start({
          target: a.target, durationMs: a.duration, by: who(ctx), reason: a.reason,
          channel: ctx.channel ? `${ctx.surface}:${ctx.channel}` : undefined,
        });
        const silenced = r.silenceIds.length ? `${r.silenceIds.length} Alertmanager silence(s) created.` : (r.silenceNote ?? '');
        return textReply(`Maintenance ${r._id} on ${r.target}`, 'ok', `${r.target} is under maintenance until ${r.until.toISOString()}. ${silenced} \`maintenance end ${r._id}\` ends it early.`, 'ephemeral');
      },
    }),
    defineCommand({
      name: 'maintenance list',
      summary: 'Open maintenance windows and the most recently ended ones',
      params: [],
      schema: z.object({}),
      risk: 'read',
      touches: () => 'filtered',
      async run(ctx) {
        const { active, ended } = await service.list();
        const now = deps.clock.now();
        const open = active.filter((r) => ctx.access.canSee(r.target));
        const past = ended.filter((r) => ctx.access.canSee(r.target));
        const hidden = active.length - open.length + ended.length - past.length;
        return {
          title: `Maintenance windows: ${open.length} open`,
          status: open.length ? 'warn' : 'ok',
          blocks: [
            ...(open.length ? [table(COLUMNS, open.map((r) => row(r, now)), 'Open')] : [{ type: 'text' as const, text: 'No target is under maintenance.' }]),
            ...(past.length ? [table(COLUMNS, past.map((r) => row(r, now)), 'Recently ended')] : []),
            ...hiddenNote(hidden, ['maintenance window', 'maintenance windows']),
          ],
          buttons: open.slice(0, 5).map((r) => ({ label: `End ${r._id} (${r.target})`, command: `maintenance end ${r._id}` })),
          visibility: 'ephemeral',
        };
      },
    }),
    defineCommand({
      name: 'maintenance end',
      summary: 'End a maintenance window now: its silences expire and the channel is told',
      params: [{ name: 'id', kind: 'positional', type: 'string', required: true, description: 'Window id (`maintenance list` shows them)' }],
      schema: z.object({ id: windowId }),
      risk: 'write',
      touches: async (a) => [{ target: (await service.find(a.id)).target }],
      timeoutMs: 20_000,
      async describe(a) {
        const r = await service.find(a.id);
        return `end maintenance window ${r._id} on ${r.target} (planned until ${r.plannedUntil.toISOString()}), expire its ${r.silenceIds.length} Alertmanager silence(s) and announce the end in ${r.channel}`;
      },
      async run(ctx, a) {
        const r = await service.end(a.id, who(ctx));
        return textReply(`Ended maintenance ${r._id}`, 'ok', `Maintenance on ${r.target} ended after ${formatDuration(r.until.getTime() - r.from.getTime())}; its alerts notify again.`, 'ephemeral');
      },
    }),
  ];
}

/**
 * `checklist [target|all]`: the morning checklist of the reference guides (PixelForge's ten
 * steps, NordLayer's daily script) as one report — every health check of the target(s), the
 * latest verified backup of each backup job, and the open alert groups.
 */
import { z } from 'zod';
import { defineCommand } from '../core/command.js';
import { table, worstStatus, type ReplyBlock, type Status } from '../core/reply.js';
import { formatDuration } from '../core/duration.js';
import { counts, groupName, severityOf, stateOf, type AlertGroup } from '../core/alerts/group.js';
import type { Config } from '../config/schema.js';
import { isSkipped, runChecks, type ProbeServices } from '../ops/probes/index.js';
import { withoutProbeInternals } from './check-errors.js';
import type { BackupFreshness } from '../ops/backup/catalog.js';
import type { AlertTargets } from '../core/alerts/targets.js';
import { hiddenNote, inScope, resolveTargets, singleTarget, targetOrAllParam } from './targets.js';

export interface ChecklistDeps {
  targets: Config['targets'];
  checkTimeoutMs: number;
  probeServices?: ProbeServices;
  backups: BackupFreshness;
  openAlerts: () => Promise<AlertGroup[]>;
  /** Which targets an alert group is about (`alerting.targetLabels`). */
  alertTargets: AlertTargets;
  /** A verified backup older than this is a warning (default 26h: a daily job plus slack). */
  backupMaxAgeMs?: number;
  now?: () => number;
}


const size = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

const STATUS_LABEL = { ok: 'ok', warn: 'warn', fail: 'FAIL' } as const;

export function checklistCommands(deps: ChecklistDeps) {
  const now = deps.now ?? Date.now;
  const maxAge = deps.backupMaxAgeMs ?? 26 * 3_600_000;
  return [
    defineCommand({
      name: 'checklist',
      summary: 'Morning checklist: health checks, latest backups and active alerts, as one report',
      params: [targetOrAllParam],
      schema: z.object({ target: z.string().max(64).optional() }),
      risk: 'read',
      targetOf: (a) => singleTarget(a.target),
      touches: () => 'filtered',
      describe: (a, access) => {
        const { visible: list } = inScope(access, resolveTargets(deps.targets, a.target));
        const checks = list.reduce((n, [, t]) => n + t.health.length, 0);
        const jobs = list.reduce((n, [name]) => n + deps.backups.jobsOf(name).length, 0);
        return `run ${checks} health checks, look up the latest verified backup of ${jobs} backup jobs and list the open alerts, for ${list.map(([n]) => n).join(', ') || 'no targets'}`;
      },
      async run(ctx, a) {
        const { visible: list, hidden } = inScope(ctx.access, resolveTargets(deps.targets, a.target));
        const single = singleTarget(a.target);
        const checks = list.flatMap(([target, t]) => t.health.map((check) => ({ target, check })));
        const [results, backupRows, open] = await Promise.all([
          runChecks(checks, deps.checkTimeoutMs, ctx.signal, deps.probeServices).then((r) => withoutProbeInternals(ctx, r)),
          Promise.all(list.flatMap(([target]) => deps.backups.jobsOf(target).map(async (job) => {
            const b = await deps.backups.latestVerified(target, job);
            const age = b ? now() - (b.finishedAt ?? b.startedAt).getTime() : undefined;
            const status: 'ok' | 'warn' | 'fail' = !b ? 'fail' : (age as number) > maxAge ? 'warn' : 'ok';
            return { status, row: [target, job, b ? b._id : 'none verified', b ? `${formatDuration(age as number)} ago` : '-', b ? size(b.size) : '-', STATUS_LABEL[status]] };
          }))),
          deps.openAlerts(),
        ]);
        const concerned = single ? open.filter((g) => deps.alertTargets.concerns(g, single)) : open;
        const alerts = concerned.filter((g) => ctx.access.allowsAll(deps.alertTargets.touchesOf(g)));
        const hiddenAlerts = concerned.length - alerts.length;
        const firing = alerts.filter((g) => stateOf(g) === 'firing');

        const statuses: Status[] = [...results.map((r) => r.status), ...backupRows.map((b) => b.status), ...(firing.length ? ['warn' as const] : [])];
        const failedChecks = results.filter((r) => r.status === 'fail').length;
        const staleBackups = backupRows.filter((b) => b.status !== 'ok').length;
        const blocks: ReplyBlock[] = [
          { type: 'text', text: `${results.length} checks (${failedChecks} failed) · ${backupRows.length} backup jobs (${staleBackups} missing or old) · ${alerts.length} open alert groups (${firing.length} firing, not acknowledged)` },
          results.length
            ? table(['Target', 'Check', 'Status', 'Detail', 'Time'], results.map((r) => [r.target, r.name, isSkipped(r) ? 'skipped' : STATUS_LABEL[r.status], r.detail, `${r.durationMs}ms`]), 'Health checks')
            : { type: 'text', text: 'Health checks: none configured.' },
          backupRows.length
            ? table(['Target', 'Job', 'Latest verified', 'Age', 'Size', 'Status'], backupRows.map((b) => b.row), 'Latest backups')
            : { type: 'text', text: 'Backups: none configured.' },
          alerts.length
            ? table(['Alert', 'Name', 'Severity', 'State', 'Firing', 'Since'], alerts.slice(0, 20).map((g) => [g._id, groupName(g), severityOf(g), stateOf(g), String(counts(g).firing), `${formatDuration(now() - g.firstSeenAt.getTime())} ago`]), alerts.length > 20 ? `Active alerts (20 of ${alerts.length})` : 'Active alerts')
            : { type: 'text', text: 'Active alerts: none.' },
          ...hiddenNote(hidden),
          ...hiddenNote(hiddenAlerts, ['open alert group', 'open alert groups']),
        ];
        return { title: `Checklist: ${single ?? 'all targets'}`, status: worstStatus(statuses, 'ok'), blocks, visibility: 'channel' };
      },
    }),
  ];
}

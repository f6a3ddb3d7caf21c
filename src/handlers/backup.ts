/**
 * `backup run|list|verify|status` and `restore`: the backup procedures of the reference guides as
 * commands. Arguments from chat are validated here (target names, job names, backup ids by strict
 * patterns) and only ever used to look things up in config and the catalog.
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { BACKUP_JOB_NAME, type BackupJob } from '../config/backup-schema.js';
import { defineCommand, type AnyCommand, type CommandContext } from '../core/command.js';
import { internalErrorMessage } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { Redactor } from '../core/redact.js';
import { fields, table, worstStatus, type Reply, type ReplyBlock, type Status } from '../core/reply.js';
import { BACKUP_ID } from '../ops/backup/paths.js';
import { describePolicy } from '../ops/backup/retention.js';
import type { BackupService, RunReport, VerifyReport } from '../ops/backup/service/index.js';
import { ageOf, copiesOf, formatBytes, formatTime, RECORD_COLUMNS, recordRow } from './backup-format.js';
import { hiddenNote, resolveTarget, singleTarget } from './targets.js';

export interface BackupDeps {
  targets: Config['targets'];
  backups: BackupService;
}

/** Tool output can carry connection strings: mask credentials before a reply shows it. */
const scrub = new Redactor();

const targetArg = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'not a target name (letters, digits, ".", "_", "-")');
const idArg = z.string().regex(BACKUP_ID, 'not a backup id (they look like db-20261124-092512-3fa1; see `backup list <target>`)');
const jobArg = z.string().regex(BACKUP_JOB_NAME, 'not a backup name (lower-case letters, digits, "-")');

function sourceOf(job: BackupJob): string {
  switch (job.kind) {
    case 'sqlite': return `SQLite ${job.source}`;
    case 'postgres': return `pg_dump --format=custom of ${redactUrl(job.source)}`;
    case 'mongodb': return `${job.tool === 'mongodump' ? 'mongodump --archive' : 'MongoDB dump (mongodump layout)'} of ${redactUrl(job.source)}`;
    case 'files': return `tar of ${job.source.paths.join(', ')} in ${job.source.dir}`;
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

function stepsTable(v: VerifyReport): ReplyBlock {
  return table(['Check', 'Result', 'Detail'], v.steps.map((s) => [s.name, s.ok ? 'ok' : 'FAIL', scrub.text(s.detail)]), `Verification of ${v.record._id}`);
}

/** A run that failed on a bug (not a UserError): logged in full, and the reply shows only the reference. */
function withoutInternals(ctx: Pick<CommandContext, 'log' | 'invocationId'>, r: RunReport): RunReport {
  if (r.internalError === undefined) return r;
  ctx.log.error({ err: r.internalError, job: r.job.name }, `backup job failed on an internal error: ${r.error ?? ''}`);
  return { ...r, error: internalErrorMessage(ctx.invocationId) };
}

function runBlocks(r: RunReport, now: number): ReplyBlock[] {
  const blocks: ReplyBlock[] = [];
  const rec = r.record;
  if (!r.ok && r.error) {
    blocks.push({ type: 'text', text: `${r.job.name}: backup FAILED — ${scrub.text(r.error)}` });
  } else {
    blocks.push(fields({
      Backup: rec._id,
      Kind: rec.kind,
      Size: formatBytes(rec.size),
      Took: rec.finishedAt ? formatDuration(new Date(rec.finishedAt).getTime() - new Date(rec.startedAt).getTime()) : undefined,
      'SHA-256': rec.checksum,
      File: rec.path,
      Contents: rec.figures ? Object.entries(rec.figures).map(([k, v]) => `${k} ${v}`).join(', ') : undefined,
    }));
    if (r.verify) blocks.push(stepsTable(r.verify));
  }
  const policy = describePolicy(r.job.retention);
  blocks.push({
    type: 'text',
    text: r.deleted.length
      ? `Retention (${policy}) deleted ${r.deleted.length}: ${r.deleted.map((d) => `${d._id} (${formatBytes(d.size)}, ${ageOf(d, now)} old)`).join(', ')}`
      : `Retention (${policy}): nothing to delete.`,
  });
  if (r.offsiteDeleted?.length) blocks.push({ type: 'text', text: `Off-site retention (${describePolicy(r.job.offsite?.retention ?? r.job.retention)}) deleted ${r.offsiteDeleted.length} cop${r.offsiteDeleted.length === 1 ? 'y' : 'ies'}: ${r.offsiteDeleted.map((d) => d._id).join(', ')}` });
  if (r.offsiteErrors?.length) blocks.push({ type: 'text', text: `Off-site retention could not delete: ${r.offsiteErrors.map((e) => scrub.text(e)).join('; ')}` });
  return blocks;
}

export function backupCommands(deps: BackupDeps): AnyCommand[] {
  const { backups } = deps;
  const allJobs = Object.values(deps.targets).flatMap((t) => t.backups);
  const longest = allJobs.reduce((n, j) => Math.max(n, j.timeout), 60_000);
  const check = (target: string) => resolveTarget(deps.targets, target);

  const run = defineCommand({
    name: 'backup run',
    summary: 'Back up a target now: dump, compress, checksum, verify, apply retention',
    params: [
      { name: 'target', kind: 'positional', type: 'string', required: true, description: 'Target name', complete: 'target' },
      { name: 'job', kind: 'positional', type: 'string', description: 'Only this backup of the target (default: all)' },
    ],
    schema: z.object({ target: targetArg, job: jobArg.optional() }),
    risk: 'write',
    targetOf: (a) => a.target,
    timeoutMs: longest * 3 + 60_000,
    async describe(a) {
      check(a.target);
      const lines: string[] = [];
      for (const job of backups.jobs(a.target, a.job)) {
        const expire = await backups.wouldExpire(a.target, job);
        lines.push(`back up "${job.name}": ${sourceOf(job)} → ${job.destination} (${job.compression === 'gzip' ? `gzip level ${job.compressionLevel}` : 'uncompressed'}, SHA-256), `
          + `verify it (checksum, ${job.compression === 'gzip' ? 'gzip integrity, ' : ''}restore test), then apply retention (${describePolicy(job.retention)}), `
          + `which would delete ${expire.length ? expire.map((r) => `${r._id} (${formatBytes(r.size)})`).join(', ') : 'nothing'}`);
      }
      return `${lines.join('; and ')}. Takes the backup lock of ${a.target}`;
    },
    async run(ctx, a) {
      check(a.target);
      const reports = (await backups.run(a.target, { ...(a.job ? { job: a.job } : {}), by: ctx.subject.id, signal: ctx.signal, ...(ctx.progress ? { progress: ctx.progress } : {}) })).map((r) => withoutInternals(ctx, r));
      const now = Date.now();
      const status: Status = reports.every((r) => r.ok) ? 'ok' : 'fail';
      const failed = reports.filter((r) => !r.ok).length;
      const first = reports.find((r) => r.ok)?.record._id;
      return {
        title: `Backup of ${a.target}: ${status === 'ok' ? 'done and verified' : `${failed} of ${reports.length} failed`}`,
        status,
        blocks: reports.flatMap((r) => runBlocks(r, now)),
        buttons: [
          { label: 'List backups', command: `backup list ${a.target}` },
          ...(first ? [{ label: 'Verify again', command: `backup verify ${a.target} ${first}` }] : []),
        ],
        visibility: 'channel',
      };
    },
  });

  const list = defineCommand({
    name: 'backup list',
    summary: 'The backups of a target in the catalog, newest first',
    params: [
      { name: 'target', kind: 'positional', type: 'string', required: true, description: 'Target name', complete: 'target' },
      { name: 'limit', kind: 'flag', type: 'number', description: 'How many (default 20, at most 100)', placeholder: 'N' },
    ],
    schema: z.object({ target: targetArg, limit: z.coerce.number().int().min(1).max(100).default(20) }),
    risk: 'read',
    targetOf: (a) => a.target,
    describe: (a) => `list the newest ${a.limit} backups of ${a.target} from the catalog`,
    async run(_ctx, a) {
      check(a.target);
      const records = await backups.list(a.target, a.limit);
      return {
        title: `Backups of ${a.target}`,
        status: 'info',
        blocks: records.length
          ? [table([...RECORD_COLUMNS, 'Copies'], records.map((r) => [...recordRow(r).slice(0, -1), `${recordRow(r).at(-1)}${r.safety ? ' (safety copy)' : ''}`, copiesOf(r)]))]
          : [{ type: 'text', text: `No backups of ${a.target} yet. Run \`backup run ${a.target}\`.` }],
      };
    },
  });

  const verify = defineCommand({
    name: 'backup verify',
    summary: 'Check a backup: checksum, gzip integrity and a restore test (default: the latest of each job)',
    params: [
      { name: 'target', kind: 'positional', type: 'string', required: true, description: 'Target name', complete: 'target' },
      { name: 'id', kind: 'positional', type: 'string', description: 'Backup id (default: the latest of each backup job)' },
    ],
    schema: z.object({ target: targetArg, id: idArg.optional() }),
    risk: 'read',
    targetOf: (a) => a.target,
    timeoutMs: longest * 2 + 60_000,
    async describe(a) {
      check(a.target);
      const which = a.id ? `backup ${(await backups.record(a.target, a.id))._id}` : `the latest backup of each job of ${a.target} (${backups.jobs(a.target).map((j) => j.name).join(', ')})`;
      return `verify ${which}: recompute its SHA-256, decompress it (gzip integrity) into a scratch folder and run the restore test (SQLite integrity_check, pg_restore --list, every BSON document parsed, tar listed), then record the result in the catalog`;
    },
    async run(ctx, a) {
      check(a.target);
      const reports = await backups.verify(a.target, a.id, ctx.signal);
      const status: Status = reports.every((r) => r.ok) ? 'ok' : 'fail';
      return {
        title: `Verification of ${a.target}: ${status === 'ok' ? 'intact' : 'FAILED'}`,
        status,
        blocks: reports.map(stepsTable),
        visibility: 'channel',
      };
    },
  });

  const status = defineCommand({
    name: 'backup status',
    summary: "Is today's backup there, is the latest intact, sizes over the last 7 days",
    params: [{ name: 'target', kind: 'positional', type: 'string', description: 'Target name (default: every target with backups)', complete: 'target' }],
    schema: z.object({ target: targetArg.optional() }),
    risk: 'read',
    targetOf: (a) => singleTarget(a.target),
    touches: () => 'filtered',
    timeoutMs: longest + 60_000,
    describe: (a, access) => `read the catalog for ${a.target && a.target !== 'all' ? a.target : `every target with backups you may see (${backups.targets().filter((t) => access.canSee(t)).join(', ') || 'none'})`} and check the latest backup of each job (SHA-256 and gzip -t)`,
    async run(ctx, a) {
      const all = a.target && a.target !== 'all' ? [check(a.target)[0]] : backups.targets();
      const targets = all.filter((t) => ctx.access.canSee(t));
      const hidden = hiddenNote(all.length - targets.length);
      if (targets.length === 0) return { title: 'Backup status', status: 'info', blocks: [{ type: 'text', text: `No target${hidden.length ? ' in your scope' : ''} has backups configured.` }, ...hidden] };
      const blocks: ReplyBlock[] = [];
      const statuses: Status[] = [];
      const now = Date.now();
      for (const target of targets) {
        for (const s of await backups.status(target, ctx.signal)) {
          const todayOk = s.today.length > 0;
          const st: Status = !todayOk || (s.intact && !s.intact.ok) ? 'fail' : (s.lastFailure || (s.latest && !s.latest.verified)) ? 'warn' : 'ok';
          statuses.push(st);
          blocks.push(fields({
            Backup: `${target} / ${s.job.name} (${s.job.kind})`,
            "Today's backup": todayOk ? `yes: ${s.today.map((r) => `${r._id} ${formatBytes(r.size)}`).join(', ')}` : `NO backup today${s.latest ? ` (last: ${s.latest._id}, ${ageOf(s.latest, now)} ago)` : ' (none at all)'}`,
            'Latest intact': s.intact ? `${s.intact.ok ? 'yes' : 'NO'}: ${s.intact.detail}` : '—',
            'Latest verified': s.latest ? (s.latest.verified ? `yes (${formatTime(s.latest.verifiedAt)})` : 'NO') : '—',
            'Last run failed': s.lastFailure ? `${s.lastFailure._id}: ${scrub.text(s.lastFailure.error ?? '')}` : undefined,
          }));
          blocks.push(s.lastWeek.length
            ? table(['Started (UTC)', 'Id', 'Size'], s.lastWeek.map((r) => [formatTime(r.startedAt), r._id, formatBytes(r.size)]), `Sizes, last 7 days: ${target} / ${s.job.name}`)
            : { type: 'text', text: `No backups of ${target} / ${s.job.name} in the last 7 days.` });
        }
      }
      const overall = worstStatus(statuses, 'info');
      return { title: `Backup status${a.target && a.target !== 'all' ? `: ${a.target}` : ''}`, status: overall, blocks: [...blocks, ...hidden], visibility: 'channel' };
    },
  });

  const restore = defineCommand({
    name: 'restore',
    summary: 'Restore a target from a backup: verifies it, keeps a safety copy of what it replaces',
    params: [
      { name: 'target', kind: 'positional', type: 'string', required: true, description: 'Target name', complete: 'target' },
      { name: 'backup-id', kind: 'positional', type: 'string', required: true, description: 'Backup id (see `backup list`)' },
    ],
    schema: z.object({ target: targetArg, 'backup-id': idArg }),
    risk: 'dangerous',
    targetOf: (a) => a.target,
    timeoutMs: longest * 4 + 60_000,
    async describe(a) {
      check(a.target);
      const plan = await backups.planRestore(a.target, a['backup-id']);
      return `verify backup ${plan.record._id} of ${formatTime(plan.record.startedAt)} UTC (${formatBytes(plan.record.size)}; checksum, gzip integrity, restore test) and stop if it fails; `
        + `keep a safety copy of ${plan.target} in ${plan.safetyDir}; then ${plan.method}. Takes the backup lock of ${a.target}`;
    },
    async run(ctx, a) {
      check(a.target);
      const r = await backups.restore(a.target, a['backup-id'], { by: ctx.subject.id, signal: ctx.signal, ...(ctx.progress ? { progress: ctx.progress } : {}) });
      const reply: Reply = {
        title: `Restored ${a.target} from ${r.record._id}`,
        status: 'ok',
        blocks: [
          fields({
            Replaced: r.target,
            How: r.detail,
            'From backup': `${r.record._id} (${formatTime(r.record.startedAt)} UTC, ${formatBytes(r.record.size)})`,
            'Safety copy': r.safety ? `${r.safety._id} (${formatBytes(r.safety.size)}) at ${r.safety.path}` : r.safetyNote,
            Took: formatDuration(r.durationMs),
          }),
          stepsTable(r.verify),
          ...(r.notes.length ? [{ type: 'text' as const, text: r.notes.join('\n') }] : []),
        ],
        buttons: r.safety ? [{ label: 'Undo (restore the safety copy)', command: `restore ${a.target} ${r.safety._id}`, style: 'danger' }] : [],
        visibility: 'channel',
      };
      return reply;
    },
  });

  return [run, list, verify, status, restore] as AnyCommand[];
}

/** Turning backup reports into replies: sizes, ages, tables. */
import { formatDuration } from '../core/duration.js';
import { Redactor } from '../core/redact.js';
import type { BackupRecord } from '../ops/backup/types.js';

const scrub = new Redactor();

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatTime(d: Date | string | undefined): string {
  if (!d) return '—';
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19);
}

export function ageOf(rec: BackupRecord, now = Date.now()): string {
  return formatDuration(Math.max(0, now - new Date(rec.startedAt).getTime()));
}

export function tookOf(rec: BackupRecord): string {
  return rec.finishedAt ? formatDuration(new Date(rec.finishedAt).getTime() - new Date(rec.startedAt).getTime()) : '—';
}

export function verifiedOf(rec: BackupRecord): string {
  if (rec.status !== 'ok') return '—';
  if (rec.verified) return 'yes';
  return rec.verifiedAt ? 'FAILED' : 'not yet';
}

export function recordRow(rec: BackupRecord): string[] {
  return [
    rec._id, rec.job, rec.kind, formatTime(rec.startedAt), tookOf(rec),
    rec.status === 'ok' ? formatBytes(rec.size) : '—',
    rec.status === 'failed' ? `FAILED: ${scrub.text(rec.error ?? '')}`.slice(0, 120) : rec.status,
    verifiedOf(rec),
  ];
}

/** Where a backup's copies live: `local`, `local + s3://…`, `s3://… only`. */
export function copiesOf(rec: BackupRecord): string {
  if (rec.status !== 'ok') return '—';
  const remote = rec.offsite && !rec.offsite.deletedAt ? rec.offsite.url : undefined;
  if (rec.localDeleted) return remote ? `${remote} only` : 'gone';
  const failed = !remote && rec.offsiteError ? ` (off-site copy FAILED: ${scrub.text(rec.offsiteError).slice(0, 80)})` : '';
  return remote ? `local + ${remote}` : `local${failed}`;
}

export const RECORD_COLUMNS = ['Id', 'Job', 'Kind', 'Started (UTC)', 'Took', 'Size', 'Status', 'Verified'];

/**
 * Config of a target's backups (README "Backups"): one or more backup jobs, each of one kind
 * (sqlite | postgres | mongodb | files) with its source, destination folder, retention and
 * compression. Every path and URL the engines touch comes from here, never from chat.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { offsiteSchema } from './offsite-schema.js';

const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 30s, 5m, 1h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

/** Job names end up in file names and ids: short, plain, no separators of ours (`_`). */
export const BACKUP_JOB_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const jobName = z.string().regex(BACKUP_JOB_NAME, 'Use lower-case letters, digits and "-" (at most 32)');

/** `host:` of a job whose data lives on an SSH host (a name of `hosts:`; README "Service managers and hosts"). */
const remoteHost = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'A host name of hosts:').optional();

const absolutePath = z.string().min(1).refine((p) => path.isAbsolute(p), 'Must be an absolute path');
const noNul = (s: string) => !s.includes('\0');

/** A path inside a files backup's directory: relative, and never climbing out of it. */
const relativeInside = z.string().min(1).refine(
  (p) => noNul(p) && !path.isAbsolute(p) && !path.normalize(p).split(path.sep).includes('..'),
  'Must be a path relative to source.dir that stays inside it (no "..", not absolute)',
);

export const retentionSchema = z.object({
  /** Keep every backup younger than this many days. */
  keepDays: z.coerce.number().int().min(1).max(3650).optional(),
  /** Keep the newest N backups. With both: a backup is kept if either rule keeps it. */
  keepLast: z.coerce.number().int().min(1).max(10_000).optional(),
}).strict();

const common = {
  /** Name of this backup job within the target (default: the kind). */
  name: jobName.optional(),
  /** Folder the backups are written to (created when missing). */
  destination: absolutePath,
  retention: retentionSchema.default({}),
  compression: z.enum(['gzip', 'none']).default('gzip'),
  compressionLevel: z.coerce.number().int().min(1).max(9).default(6),
  /** Longest a run, verification or restore may take. */
  timeout: durationMs.default(30 * 60_000),
  /** `restore` stops the target's service (its `manager`, or its containers) before replacing the data and starts it after. */
  stopService: z.boolean().default(false),
  /** Copy each verified backup to S3-compatible storage (README "Off-site copies"). */
  offsite: offsiteSchema.optional(),
};

const dbUrl = (protocols: string[]) => z.string().min(1).refine((u) => {
  try {
    return protocols.includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, `Must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL (credentials through \${ENV})`);

export const sqliteBackupSchema = z.object({
  ...common,
  kind: z.literal('sqlite'),
  /** The SSH host the database file is on: `sqlite3 .backup` runs there and the copy streams to the bot. */
  host: remoteHost,
  /** The database file. */
  source: absolutePath,
  /** The file `restore` replaces (default: source). */
  restoreTo: absolutePath.optional(),
}).strict();

export const postgresBackupSchema = z.object({
  ...common,
  kind: z.literal('postgres'),
  /** The SSH host pg_dump / pg_restore run on (the URL is as that host reaches the database); the dump streams to the bot. */
  host: remoteHost,
  /** `postgres://user:${PGPASSWORD}@host:5432/db`; the password is passed to pg_dump through PGPASSWORD, never argv. */
  source: dbUrl(['postgres:', 'postgresql:']),
  /** The database `restore` replaces with `pg_restore --clean` (default: source). */
  restoreTo: dbUrl(['postgres:', 'postgresql:']).optional(),
  pgDump: z.string().min(1).default('pg_dump'),
  pgRestore: z.string().min(1).default('pg_restore'),
}).strict();

export const mongodbBackupSchema = z.object({
  ...common,
  kind: z.literal('mongodb'),
  /** The SSH host mongodump / mongorestore run on (with tool: mongodump; the URL is as that host reaches the server); the archive streams to the bot. */
  host: remoteHost,
  source: dbUrl(['mongodb:', 'mongodb+srv:']),
  /** Database to dump (default: the one in the URL). */
  database: z.string().regex(/^[^/\\. "$\0]{1,63}$/, 'Not a valid MongoDB database name').optional(),
  /** Only these collections (default: all). */
  collections: z.array(z.string().min(1).max(120).refine((c) => !c.includes('\0') && !c.includes('/') && !c.startsWith('system.'), 'Not a valid collection name')).optional(),
  restoreTo: dbUrl(['mongodb:', 'mongodb+srv:']).optional(),
  restoreDatabase: z.string().regex(/^[^/\\. "$\0]{1,63}$/, 'Not a valid MongoDB database name').optional(),
  /** `driver` (default): written by opsbot in mongodump's directory layout; `mongodump`: `mongodump --archive --gzip`. */
  tool: z.enum(['driver', 'mongodump']).default('driver'),
  mongodump: z.string().min(1).default('mongodump'),
  mongorestore: z.string().min(1).default('mongorestore'),
  serverSelectionTimeout: durationMs.default(10_000),
}).strict().superRefine((job, ctx) => {
  if (job.host && job.tool !== 'mongodump') ctx.addIssue({ code: 'custom', path: ['tool'], message: 'A mongodb backup with host: runs mongodump on that host: set tool: mongodump' });
});

export const filesBackupSchema = z.object({
  ...common,
  kind: z.literal('files'),
  /** The SSH host the files are on: `tar -c` runs there and streams to the bot; restore streams the tar back to `tar -x`. */
  host: remoteHost,
  source: z.object({
    /** The directory the paths are relative to. */
    dir: absolutePath,
    /** Files and folders inside dir (default: all of it). */
    paths: z.array(relativeInside).min(1).default(['.']),
  }).strict(),
  /** The directory `restore` extracts into (default: source.dir). */
  restoreTo: absolutePath.optional(),
}).strict().superRefine((job, ctx) => {
  const rel = path.relative(path.resolve(job.source.dir), path.resolve(job.destination));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    ctx.addIssue({ code: 'custom', path: ['destination'], message: 'The destination must not be inside source.dir (each backup would contain the previous ones)' });
  }
});

export const backupJobSchema = z.discriminatedUnion('kind', [sqliteBackupSchema, postgresBackupSchema, mongodbBackupSchema, filesBackupSchema])
  .transform((job) => ({ ...job, name: job.name ?? job.kind }));

export type BackupJob = z.output<typeof backupJobSchema>;
export type SqliteBackupJob = Extract<BackupJob, { kind: 'sqlite' }>;
export type PostgresBackupJob = Extract<BackupJob, { kind: 'postgres' }>;
export type MongodbBackupJob = Extract<BackupJob, { kind: 'mongodb' }>;
export type FilesBackupJob = Extract<BackupJob, { kind: 'files' }>;
export type BackupKind = BackupJob['kind'];

/** `backups:` on a target: one job or a list (a single job reads as a list of one); job names unique within the target. */
export const backupsSchema = z.preprocess((v) => (v && typeof v === 'object' && !Array.isArray(v) ? [v] : v), z.array(backupJobSchema))
  .superRefine((jobs, ctx) => {
    const seen = new Set<string>();
    jobs.forEach((j, i) => {
      if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `Two backups named "${j.name}": give each a distinct name` });
      seen.add(j.name);
    });
  });

/** Health probe `backup-fresh`: the newest verified backup is younger than maxAge. */
export const backupFreshProbeSchema = z.object({
  maxAge: durationMs.default(26 * 3_600_000),
  warnAge: durationMs.optional(),
  /** Only this backup job of the target (default: every job must be fresh). */
  job: jobName.optional(),
}).strict();
export type BackupFreshProbeConfig = z.output<typeof backupFreshProbeSchema>;

/** A target's `backup-fresh` checks must name backup jobs it has. */
export function checkBackupFreshRefs(target: { health: Record<string, unknown>[]; backups: BackupJob[] }, ctx: z.RefinementCtx): void {
  target.health.forEach((check, i) => {
    const fresh = check['backup-fresh'] as BackupFreshProbeConfig | undefined;
    if (!fresh) return;
    if (target.backups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['health', i, 'backup-fresh'], message: 'This target has no backups configured: add `backups:` to it' });
    } else if (fresh.job && !target.backups.some((j) => j.name === fresh.job)) {
      ctx.addIssue({ code: 'custom', path: ['health', i, 'backup-fresh', 'job'], message: `No backup named "${fresh.job}" (backups: ${target.backups.map((j) => j.name).join(', ')})` });
    }
  });
}

/**
 * Backup engines for jobs with `host:`: the job's data lives on (or is reached from) an SSH
 * host, the tools run there (through the host's commands, each argument quoted) and the dump
 * streams to the bot, into the usual gzip + catalog + verify path: `files` (tar), `sqlite`
 * (sqlite3 .backup), `postgres` (pg_dump / pg_restore) and `mongodb` (mongodump / mongorestore).
 */
import type { FilesBackupJob, MongodbBackupJob, PostgresBackupJob, SqliteBackupJob } from '../../../config/backup-schema.js';
import { UserError } from '../../../core/errors.js';
import type { HostExec } from '../../hosts/index.js';
import type { BackupEngine } from '../types.js';
import { remoteFilesEngine } from './files.js';
import { remoteSqliteEngine } from './sqlite.js';
import { remotePostgresEngine } from './postgres.js';
import { remoteMongodbEngine } from './mongodb.js';

export interface EngineHosts {
  get(name: string): HostExec;
}

/** The local engine for jobs without `host:`, the remote one (on that host) for jobs with it. */
function byHost<J extends SqliteBackupJob | FilesBackupJob | PostgresBackupJob | MongodbBackupJob>(local: BackupEngine<J>, remote: (h: HostExec) => BackupEngine<J>, hosts: EngineHosts | undefined): BackupEngine<J> {
  const pick = (job: J): BackupEngine<J> => {
    if (!job.host) return local;
    if (!hosts) throw new UserError('unavailable', `The backup job "${job.name}" runs on host ${job.host}, and this process has no hosts configured`);
    return remote(hosts.get(job.host));
  };
  return {
    kind: local.kind,
    extension: (job) => pick(job).extension(job),
    dump: (job, from, ctx) => pick(job).dump(job, from, ctx),
    check: (job, artifact, ctx) => pick(job).check(job, artifact, ctx),
    restore: (job, artifact, ctx) => pick(job).restore(job, artifact, ctx),
    restoreTargetOf: (job) => pick(job).restoreTargetOf(job),
    restoreMethod: (job) => pick(job).restoreMethod(job),
  };
}

export function hostAwareSqlite(local: BackupEngine<SqliteBackupJob>, hosts: EngineHosts | undefined): BackupEngine<SqliteBackupJob> {
  return byHost(local, remoteSqliteEngine, hosts);
}

export function hostAwareFiles(local: BackupEngine<FilesBackupJob>, hosts: EngineHosts | undefined): BackupEngine<FilesBackupJob> {
  return byHost(local, remoteFilesEngine, hosts);
}

export function hostAwarePostgres(local: BackupEngine<PostgresBackupJob>, hosts: EngineHosts | undefined): BackupEngine<PostgresBackupJob> {
  return byHost(local, remotePostgresEngine, hosts);
}

export function hostAwareMongodb(local: BackupEngine<MongodbBackupJob>, hosts: EngineHosts | undefined): BackupEngine<MongodbBackupJob> {
  return byHost(local, remoteMongodbEngine, hosts);
}

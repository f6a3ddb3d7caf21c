/** The engine of each backup kind. */
import type { BackupJob, BackupKind } from '../../config/backup-schema.js';
import { filesEngine } from './files.js';
import { createMongodbEngine } from './mongodb.js';
import type { MongoConnector } from './mongo-driver.js';
import { postgresEngine } from './postgres.js';
import { sqliteEngine } from './sqlite.js';
import type { BackupEngine } from './types.js';
import { hostAwareFiles, hostAwareMongodb, hostAwarePostgres, hostAwareSqlite, type EngineHosts } from './remote/index.js';

export type EngineMap = { [K in BackupKind]: BackupEngine<Extract<BackupJob, { kind: K }>> };

/** `hosts`: where jobs with `host:` run their tools; without it such a job fails with that reason. */
export function createEngines(opts: { mongoConnector?: MongoConnector; hosts?: EngineHosts } = {}): EngineMap {
  return {
    sqlite: hostAwareSqlite(sqliteEngine, opts.hosts),
    postgres: hostAwarePostgres(postgresEngine, opts.hosts),
    mongodb: hostAwareMongodb(createMongodbEngine(opts.mongoConnector), opts.hosts),
    files: hostAwareFiles(filesEngine, opts.hosts),
  };
}

export function engineFor(engines: EngineMap, job: BackupJob): BackupEngine {
  return engines[job.kind] as unknown as BackupEngine;
}

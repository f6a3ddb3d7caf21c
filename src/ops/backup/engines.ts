/** The engine of each backup kind. */
import type { BackupJob, BackupKind } from '../../config/backup-schema.js';
import { filesEngine } from './files.js';
import { createMongodbEngine } from './mongodb.js';
import type { MongoConnector } from './mongo-driver.js';
import { postgresEngine } from './postgres.js';
import { sqliteEngine } from './sqlite.js';
import type { BackupEngine } from './types.js';

export type EngineMap = { [K in BackupKind]: BackupEngine<Extract<BackupJob, { kind: K }>> };

export function createEngines(opts: { mongoConnector?: MongoConnector } = {}): EngineMap {
  return {
    sqlite: sqliteEngine,
    postgres: postgresEngine,
    mongodb: createMongodbEngine(opts.mongoConnector),
    files: filesEngine,
  };
}

export function engineFor(engines: EngineMap, job: BackupJob): BackupEngine {
  return engines[job.kind] as unknown as BackupEngine;
}

/**
 * MongoDB backups. `tool: driver` (default): the driver reads every collection and opsbot writes
 * mongodump's directory layout into a tar (`<db>/<coll>.bson` + `<coll>.metadata.json`), which
 * `tar -xzf` + `mongorestore <dir>` restores too. `tool: mongodump`: `mongodump --archive`
 * (gzip-compressed by the runner, i.e. what `--archive --gzip` writes), restored with mongorestore.
 * The URL with its password reaches mongodump/mongorestore in a 0600 `--config` file, never argv.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import type * as MongoDriver from 'mongodb';
import { lazyRequire } from '../../core/lazy-require.js';
import type { MongodbBackupJob } from '../../config/backup-schema.js';
import { UserError } from '../../core/errors.js';
import { BsonSplitter } from './bson-stream.js';
import { runTool } from './exec.js';
import { restoreDump, writeDump } from './mongo-dump.js';
import { driverConnector, mongoDatabaseOf, mongoHosts, type MongoConnector } from './mongo-driver.js';
import type { BackupEngine, CheckResult, EngineContext } from './types.js';

const mongodb = lazyRequire<typeof MongoDriver>('mongodb');
const bson = () => mongodb().BSON;

const ARCHIVE_MAGIC = 0x8199e26d;

export function sourceDb(job: MongodbBackupJob): string {
  const db = job.database ?? mongoDatabaseOf(job.source);
  if (!db) throw new UserError('invalid', 'the mongodb backup needs a database: put it in the URL or set `database`');
  return db;
}

export function restoreUrl(job: MongodbBackupJob): string {
  return job.restoreTo ?? job.source;
}

export function restoreDb(job: MongodbBackupJob): string {
  return job.restoreDatabase ?? (job.restoreTo ? mongoDatabaseOf(job.restoreTo) : undefined) ?? sourceDb(job);
}

/** A mongo-tools config file holding the URI (and its password), readable by the owner only. */
async function toolConfig(ctx: EngineContext, url: string): Promise<string> {
  const file = path.join(ctx.workDir, 'mongo-tools.yaml');
  await writeFile(file, `uri: ${JSON.stringify(url)}\n`, { mode: 0o600 });
  return file;
}

/** Parses a mongodump archive: magic number, then BSON documents and terminators to the end. */
export function checkArchive(bytes: Buffer): CheckResult {
  if (bytes.length < 4 || bytes.readUInt32LE(0) !== ARCHIVE_MAGIC) throw new UserError('failed', 'not a mongodump archive (bad magic number)');
  const splitter = new BsonSplitter(true);
  let docs = 0;
  let terminators = 0;
  const namespaces = new Set<string>();
  try {
    for (const item of splitter.push(bytes.subarray(4))) {
      if (item.kind === 'terminator') { terminators += 1; continue; }
      const doc = bson().deserialize(item.raw);
      docs += 1;
      if (typeof doc.db === 'string' && typeof doc.collection === 'string' && doc.collection) namespaces.add(`${doc.db}.${doc.collection}`);
    }
    splitter.end();
  } catch (e) {
    throw new UserError('failed', `mongodump archive is damaged: ${(e as Error).message}`);
  }
  return { detail: `archive parsed, ${docs} BSON documents, ${namespaces.size} namespaces`, figures: { documents: docs, namespaces: namespaces.size, blocks: terminators } };
}

/** Parses every `.bson` document and `.metadata.json` of a dump tar. */
export async function checkDumpTar(file: string): Promise<CheckResult> {
  const problems: string[] = [];
  const collections = new Set<string>();
  let documents = 0;
  let metadata = 0;
  const pending: Promise<void>[] = [];
  await tar.t({
    file, strict: true,
    onReadEntry: (entry) => {
      const name = entry.path;
      if (name.endsWith('.bson')) {
        collections.add(name);
        const splitter = new BsonSplitter();
        entry.on('data', (chunk: Buffer) => {
          try {
            for (const item of splitter.push(chunk)) if (item.kind === 'doc') { bson().deserialize(item.raw); documents += 1; }
          } catch (e) { problems.push(`${name}: ${(e as Error).message}`); }
        });
        pending.push(new Promise((resolve) => entry.on('end', () => {
          try { splitter.end(); } catch (e) { problems.push(`${name}: ${(e as Error).message}`); }
          resolve();
        })));
      } else if (name.endsWith('.metadata.json')) {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        pending.push(new Promise((resolve) => entry.on('end', () => {
          try {
            const meta = bson().EJSON.parse(Buffer.concat(chunks).toString('utf8')) as { indexes?: unknown };
            if (!Array.isArray(meta.indexes)) problems.push(`${name}: no indexes array`);
            metadata += 1;
          } catch (e) { problems.push(`${name}: not valid Extended JSON (${(e as Error).message})`); }
          resolve();
        })));
      }
    },
  }).catch((e: Error) => { problems.push(`tar: ${e.message}`); });
  await Promise.all(pending);
  if (problems.length) throw new UserError('failed', `dump is damaged: ${problems.slice(0, 3).join('; ')}`);
  if (metadata < collections.size) throw new UserError('failed', `dump is incomplete: ${collections.size} .bson files but ${metadata} metadata files`);
  return { detail: `every BSON document parsed: ${documents} documents in ${collections.size} collections`, figures: { collections: collections.size, documents } };
}

export function createMongodbEngine(connect: MongoConnector = driverConnector): BackupEngine<MongodbBackupJob> {
  return {
    kind: 'mongodb',
    extension: (job) => (job.tool === 'mongodump' ? 'archive' : 'tar'),

    async dump(job, from, ctx) {
      const url = from === 'source' ? job.source : restoreUrl(job);
      const db = from === 'source' ? sourceDb(job) : restoreDb(job);
      if (job.tool === 'mongodump') {
        const artifact = path.join(ctx.workDir, 'backup.archive');
        const args = [`--config=${await toolConfig(ctx, url)}`, `--archive=${artifact}`, `--db=${db}`];
        for (const c of job.collections ?? []) args.push(`--nsInclude=${db}.${c}`);
        await runTool(job.mongodump, args, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, path: ctx.toolPath });
        const result = checkArchive(await readFile(artifact));
        return { artifact, figures: result.figures };
      }
      const conn = await connect(url, db, { serverSelectionTimeoutMs: job.serverSelectionTimeout });
      const dumpDir = path.join(ctx.workDir, 'dump');
      try {
        const figures = await writeDump(conn.source(from === 'source' ? job.collections : undefined), dumpDir, ctx.signal);
        const artifact = path.join(ctx.workDir, 'backup.tar');
        const entries = await readdir(dumpDir);
        await tar.create({ file: artifact, cwd: dumpDir, portable: true }, entries);
        return { artifact, figures: { ...figures } };
      } finally {
        await conn.close();
      }
    },

    async check(job, artifact) {
      if (job.tool === 'mongodump') return checkArchive(await readFile(artifact));
      return checkDumpTar(artifact);
    },

    async restore(job, artifact, ctx) {
      const url = restoreUrl(job);
      const db = restoreDb(job);
      if (job.tool === 'mongodump') {
        const from = sourceDb(job);
        await runTool(job.mongorestore, [
          `--config=${await toolConfig(ctx, url)}`, `--archive=${artifact}`, '--drop',
          `--nsInclude=${from}.*`, `--nsFrom=${from}.*`, `--nsTo=${db}.*`,
        ], { timeoutMs: ctx.timeoutMs, signal: ctx.signal, path: ctx.toolPath });
        return { detail: `mongorestore --drop into ${mongoHosts(url)}/${db}` };
      }
      const dir = path.join(ctx.workDir, 'restore');
      await mkdir(dir, { recursive: true });
      await tar.x({ file: artifact, cwd: dir, strict: true, preservePaths: false });
      const dbDirs = await readdir(dir);
      if (dbDirs.length !== 1) throw new UserError('failed', `the dump holds ${dbDirs.length} databases, expected one`);
      const conn = await connect(url, db, { serverSelectionTimeoutMs: job.serverSelectionTimeout });
      try {
        const r = await restoreDump(path.join(dir, dbDirs[0] as string), conn.sink(), ctx.signal);
        return { detail: `replaced ${r.collections} collections (${r.documents} documents) in ${mongoHosts(url)}/${db}` };
      } finally {
        await conn.close();
      }
    },

    restoreTargetOf: (job) => `${mongoHosts(restoreUrl(job))}/${restoreDb(job)}`,
    restoreMethod: (job) => job.tool === 'mongodump'
      ? `mongorestore --drop the archive into ${mongoHosts(restoreUrl(job))}/${restoreDb(job)}`
      : `drop and re-insert every collection of the dump into ${mongoHosts(restoreUrl(job))}/${restoreDb(job)}, then recreate its indexes`,
  };
}

/**
 * MongoDB backups with mongo-tools on an SSH host (`tool: mongodump`): `mongodump --archive`
 * runs there and the archive streams to the bot, which parses it document by document (the
 * restore test needs no tool); restore streams it back into `mongorestore --archive --drop`. The
 * URL with its password reaches the tools in a `--config` file written with mode 0600 into a
 * private scratch folder on the host (mktemp -d) and removed afterwards: never argv.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { MongodbBackupJob } from '../../../config/backup-schema.js';
import { UserError } from '../../../core/errors.js';
import type { HostExec } from '../../hosts/index.js';
import { mongoHosts } from '../mongo-driver.js';
import { checkArchive, restoreDb, restoreUrl, sourceDb } from '../mongodb.js';
import type { BackupEngine, EngineContext } from '../types.js';
import { checked, devNull, remoteTempDir, streamFromHost, streamToHost } from './stream.js';

/** The mongo-tools config file (the URI) as mongodump/mongorestore read it. */
export function toolConfigText(url: string): string {
  return `uri: ${JSON.stringify(url)}\n`;
}

/** The argv of mongodump on the host: the archive to stdout. */
export function mongodumpArgs(job: MongodbBackupJob, configFile: string, db: string): string[] {
  return [job.mongodump, `--config=${configFile}`, '--archive', `--db=${db}`, ...(job.collections ?? []).map((c) => `--nsInclude=${db}.${c}`)];
}

/** The argv of mongorestore on the host: the archive from stdin, its database renamed to the restore target's. */
export function mongorestoreArgs(job: MongodbBackupJob, configFile: string): string[] {
  const from = sourceDb(job);
  return [job.mongorestore, `--config=${configFile}`, '--archive', '--drop', `--nsInclude=${from}.*`, `--nsFrom=${from}.*`, `--nsTo=${restoreDb(job)}.*`];
}

/** Runs `fn` with the URL in a 0600 config file in a scratch folder on the host, removed afterwards. */
async function withToolConfig<T>(host: HostExec, url: string, ctx: EngineContext, fn: (file: string) => Promise<T>): Promise<T> {
  const tmp = await remoteTempDir(host, ctx);
  try {
    const file = `${tmp.dir}/mongo-tools.yaml`;
    const argv = ['sh', '-c', 'umask 077 && cat > "$1"', 'sh', file];
    const r = await host.stream(argv, { stdin: Readable.from([Buffer.from(toolConfigText(url))]), stdout: devNull(), timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 4096 });
    checked(host, argv, r, 'writing the mongo-tools config file');
    return await fn(file);
  } finally {
    await tmp.remove();
  }
}

export function remoteMongodbEngine(host: HostExec): BackupEngine<MongodbBackupJob> {
  const where = (job: MongodbBackupJob) => `${mongoHosts(restoreUrl(job))}/${restoreDb(job)} (from ${host.host})`;
  const needsTool = (job: MongodbBackupJob) => {
    if (job.tool !== 'mongodump') throw new UserError('invalid', `the mongodb backup "${job.name}" runs on host ${job.host}: it needs tool: mongodump`);
  };
  return {
    kind: 'mongodb',
    extension: () => 'archive',

    async dump(job, from, ctx) {
      needsTool(job);
      const url = from === 'source' ? job.source : restoreUrl(job);
      const db = from === 'source' ? sourceDb(job) : restoreDb(job);
      const artifact = path.join(ctx.workDir, 'backup.archive');
      await withToolConfig(host, url, ctx, async (config) => {
        await streamFromHost(host, mongodumpArgs(job, config, db), artifact, ctx, `mongodump of ${mongoHosts(url)}/${db}`);
      });
      const result = checkArchive(await readFile(artifact));
      return { artifact, figures: { ...result.figures, host: host.host } };
    },

    async check(_job, artifact) {
      return checkArchive(await readFile(artifact));
    },

    async restore(job, artifact, ctx) {
      needsTool(job);
      checkArchive(await readFile(artifact));
      await withToolConfig(host, restoreUrl(job), ctx, (config) => streamToHost(host, mongorestoreArgs(job, config), artifact, ctx, `mongorestore into ${mongoHosts(restoreUrl(job))}/${restoreDb(job)}`));
      return { detail: `mongorestore --drop into ${where(job)}` };
    },

    restoreTargetOf: where,
    restoreMethod: (job) => `stream the archive to ${host.host} (${host.describe}) into mongorestore --drop for ${mongoHosts(restoreUrl(job))}/${restoreDb(job)}`,
  };
}

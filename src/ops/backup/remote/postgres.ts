/**
 * PostgreSQL backups of a database reached from an SSH host: `pg_dump --format=custom` runs
 * there and its output streams to the bot; the restore test is `pg_restore --list` there, fed the
 * artifact on stdin (it reads the archive's table of contents); restore uploads the artifact into
 * a private scratch folder on the host and runs `pg_restore --clean --single-transaction` on it.
 * The password reaches the tools as PGPASSWORD through stdin (env-stdin.ts), never argv; the URL
 * (as the host sees the database: often 127.0.0.1) has it removed.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { PostgresBackupJob } from '../../../config/backup-schema.js';
import type { HostExec } from '../../hosts/index.js';
import { pgConnection, countToc } from '../postgres.js';
import type { BackupEngine, CheckResult, EngineContext } from '../types.js';
import { withEnvOnStdin } from './env-stdin.js';
import { checked, remoteTempDir, streamFromHost, streamToHost } from './stream.js';

/** A Writable that keeps what is written (bounded), for a command's text output. */
function collector(max = 16 * 1024 * 1024): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < max) { chunks.push(chunk); size += chunk.length; }
      cb();
    },
  }) as Writable & { text(): string };
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}

export function remotePostgresEngine(host: HostExec): BackupEngine<PostgresBackupJob> {
  const where = (label: string) => `${label} (from ${host.host})`;

  async function list(job: PostgresBackupJob, artifact: string, ctx: EngineContext): Promise<CheckResult> {
    const out = collector();
    const r = await host.stream([job.pgRestore, '--list'], { stdin: createReadStream(artifact), stdout: out, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    checked(host, [job.pgRestore, '--list'], r, 'the restore test (pg_restore --list)');
    const toc = countToc(out.text());
    return { detail: `pg_restore --list ok on ${host.host}, ${toc.entries} entries, ${toc.tables} tables with data`, figures: { tocEntries: toc.entries, tables: toc.tables } };
  }

  return {
    kind: 'postgres',
    extension: () => 'dump',

    async dump(job, from, ctx) {
      const conn = pgConnection(from === 'source' ? job.source : (job.restoreTo ?? job.source));
      const artifact = path.join(ctx.workDir, 'backup.dump');
      const args = [job.pgDump, '--format=custom', '--no-password', `--dbname=${conn.dbname}`];
      // The stored file is gzip-compressed by opsbot; compressing inside too would only cost CPU.
      if (job.compression === 'gzip') args.splice(2, 0, '--compress=0');
      const cmd = withEnvOnStdin(conn.env, args);
      await streamFromHost(host, cmd.argv, artifact, ctx, `pg_dump of ${conn.label}`, { stdin: cmd.stdin, shown: args });
      const { figures } = await list(job, artifact, ctx);
      return { artifact, figures: { ...figures, host: host.host } };
    },

    check: list,

    async restore(job, artifact, ctx) {
      const conn = pgConnection(job.restoreTo ?? job.source);
      await list(job, artifact, ctx);
      const tmp = await remoteTempDir(host, ctx);
      try {
        const file = `${tmp.dir}/backup.dump`;
        await streamToHost(host, ['sh', '-c', 'cat > "$1"', 'sh', file], artifact, ctx, 'uploading the dump');
        const args = [job.pgRestore, '--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--no-password', `--dbname=${conn.dbname}`, file];
        const cmd = withEnvOnStdin(conn.env, args);
        const r = await host.stream(cmd.argv, { stdin: cmd.stdin, stdout: collector(64 * 1024), timeoutMs: ctx.timeoutMs, signal: ctx.signal });
        checked(host, args, r, `pg_restore into ${conn.label}`);
      } finally {
        await tmp.remove();
      }
      return { detail: `pg_restore --clean into ${where(conn.label)} (one transaction)` };
    },

    restoreTargetOf: (job) => where(pgConnection(job.restoreTo ?? job.source).label),
    restoreMethod: (job) => `upload the dump to ${host.host} (${host.describe}) and pg_restore --clean --if-exists --single-transaction there into ${pgConnection(job.restoreTo ?? job.source).label}`,
  };
}

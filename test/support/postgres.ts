/**
 * A throwaway PostgreSQL cluster (initdb + postgres) on a loopback port, trust auth, fsync off.
 * As root, the server runs as the `postgres` system user (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { chown } from 'node:fs/promises';
import { promisify } from 'node:util';
import { freePort, isRoot, spawnServer, tmpDir, waitFor, which, type ServerProcess } from './servers.js';

const run = promisify(execFile);

export interface PostgresServer {
  port: number;
  host: string;
  user: string;
  /** `postgres://opsbot@127.0.0.1:PORT/postgres` */
  url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  /** Runs SQL through psql as the superuser (fixtures). */
  psql(sql: string, database?: string): Promise<string>;
  process: ServerProcess;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const initdb = which('initdb');
  const postgres = which('postgres');
  const psqlBin = which('psql');
  if (!initdb || !postgres || !psqlBin) throw new Error('PostgreSQL server binaries not installed');
  const { dir, cleanup } = await tmpDir('opsbot-pg-');
  const asUser = async (bin: string, args: string[]) => {
    if (!isRoot()) return [bin, args] as const;
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    return ['runuser', ['-u', 'postgres', '--', bin, ...args]] as const;
  };
  const user = 'opsbot';
  const [ibin, iargs] = await asUser(initdb, ['-D', `${dir}/data`, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  await run(ibin, [...iargs], { timeout: 60_000 });
  const port = await freePort();
  const [pbin, pargs] = await asUser(postgres, ['-D', `${dir}/data`, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off']);
  const proc = spawnServer(pbin, [...pargs]);
  const host = '127.0.0.1';
  const psql = async (sql: string, database = 'postgres') => {
    const { stdout } = await run(psqlBin, ['-h', host, '-p', String(port), '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { timeout: 30_000 });
    return stdout.trim();
  };
  await waitFor(async () => (await psql('select 1')) === '1', { what: `postgres on ${port}`, timeoutMs: 30_000 }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  });
  const urlFor = (db: string) => `postgres://${user}@${host}:${port}/${db}`;
  return {
    port, host, user, url: urlFor('postgres'), urlFor, psql, process: proc,
    async stop() {
      await proc.stop('SIGINT');
      await cleanup();
    },
  };
}

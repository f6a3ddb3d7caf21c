import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresUserBackend } from '../../src/ops/users/postgres-backend.js';
import { SqliteUserBackend } from '../../src/ops/users/sqlite-backend.js';
import { quoteIdent, quoteTable } from '../../src/ops/users/sql-text.js';
import { userDirectorySchema } from '../../src/config/users-schema.js';
import { UserDirectories } from '../../src/ops/users/open.js';
import { describeWithServers, tmpDir } from '../support/servers.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { SEED, userDirectoryContract } from '../support/user-directory-contract.js';

const COLUMNS = `id integer primary key, email text unique not null, username text unique not null, role text,
  "loginAttempts" integer not null default 0, "accountLocked" BOOL_TYPE not null default false, "lockUntil" TIME_TYPE,
  disabled BOOL_TYPE, "disabledAt" TIME_TYPE, password_hash text`;

describe('user directory in SQLite files', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let n = 0;
  beforeAll(async () => { tmp = await tmpDir('opsbot-users-sqlite-'); });
  afterAll(async () => { await tmp?.cleanup(); });

  userDirectoryContract(async (fields) => {
    const file = path.join(tmp.dir, `users-${++n}.db`);
    const db = new Database(file);
    db.exec(`create table users (${COLUMNS.replaceAll('BOOL_TYPE', 'integer').replaceAll('TIME_TYPE', 'text')})`);
    const ins = db.prepare('insert into users values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const u of SEED) ins.run(u.id, u.email, u.username, u.role, u.loginAttempts, u.accountLocked ? 1 : 0, u.lockUntil?.toISOString() ?? null, u.disabled === null ? null : u.disabled ? 1 : 0, u.disabledAt?.toISOString() ?? null, 'secret-hash');
    db.close();
    const read = new Database(file, { readonly: true });
    return {
      backend: new SqliteUserBackend(file, 'users', 'id', fields, 5000),
      read: async (id) => read.prepare('select * from users where id = ?').get(id) as Record<string, unknown> | undefined,
      count: async () => (read.prepare('select count(*) as n from users').get() as { n: number }).n,
      cleanup: async () => { read.close(); },
    };
  });

  it('given a missing database file, then the backend fails without creating it', async () => {
    const file = path.join(tmp.dir, 'absent.db');
    const b = new SqliteUserBackend(file, 'users', 'id', ['email'], 1000);
    const outcome = await b.findBy(['email'], 'x', 2).then(() => 'resolved', (e: { code?: string }) => e.code);
    expect(outcome).toBe('SQLITE_CANTOPEN');
    expect(() => new Database(file, { fileMustExist: true })).toThrow();
  });
});

describeWithServers(['initdb', 'postgres', 'psql'], 'user directory in a PostgreSQL table', () => {
  let server: PostgresServer;
  let client: pg.Client;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
    await server.psql('create database app');
    client = new pg.Client({ connectionString: server.urlFor('app') });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  userDirectoryContract(async (fields) => {
    const table = `users_${++n}`;
    await client.query(`create table ${table} (${COLUMNS.replaceAll('BOOL_TYPE', 'boolean').replaceAll('TIME_TYPE', 'timestamptz')})`);
    for (const u of SEED) {
      await client.query(`insert into ${table} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'secret-hash')`, [u.id, u.email, u.username, u.role, u.loginAttempts, u.accountLocked, u.lockUntil, u.disabled, u.disabledAt]);
    }
    const backend = new PostgresUserBackend(server.urlFor('app'), `public.${table}`, 'id', fields, 5000);
    return {
      backend,
      read: async (id) => (await client.query(`select * from ${table} where id = $1`, [id])).rows[0] as Record<string, unknown> | undefined,
      count: async () => Number((await client.query(`select count(*) from ${table}`)).rows[0].count),
      cleanup: () => backend.close(),
    };
  });

  it('given a table named with an injection, then the config refuses it and quoting refuses it too', () => {
    const bad = userDirectorySchema.safeParse({ sql: { url: 'postgres://x/y', table: 'users; DROP TABLE users' }, lookup: 'email', unlock: { set: { a: 1 } } });
    expect(bad.success).toBe(false);
    expect(() => quoteTable('users"; drop table x; --')).toThrow(/invalid SQL table/);
    expect(() => quoteIdent('a" = 1 --')).toThrow(/invalid SQL identifier/);
    expect(quoteTable('public.users')).toBe('"public"."users"');
  });

  it('given an unreachable server, then the directory says unavailable, bounded, and names no password', async () => {
    const url = 'postgres://opsbot:pa55-w0rd-x@127.0.0.1:1/app';
    const cfg = userDirectorySchema.parse({ sql: { url, table: 'users' }, lookup: 'email', unlock: { set: { loginAttempts: 0 } }, timeout: '2s' });
    const dirs = UserDirectories.fromConfig({ app: { environment: 'production', health: [], backups: [], users: cfg } });
    const dir = dirs.get('app');
    const err = await dir?.apply('unlock', 'x').catch((e: unknown) => e) as { code?: string; message?: string };
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('PostgreSQL table users at postgres://127.0.0.1:1/app');
    expect(err.message).not.toContain('pa55-w0rd-x');
    await dirs.close();
  });
});

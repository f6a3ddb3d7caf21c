import { afterAll, beforeAll, expect, it } from '@jest/globals';
import net from 'node:net';
import { describeWithServers, freePort } from '../support/servers.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { runConfiguredCheck } from '../support/probe.js';

describeWithServers(['initdb', 'postgres', 'psql'], 'postgres and sql probes against a real PostgreSQL', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
    await pg.psql(`create database stormforge`);
    await pg.psql(`create table sync_queue (id serial primary key, synced int not null default 0);
      insert into sync_queue (synced) select case when g <= 120 then 0 else 1 end from generate_series(1, 150) g;
      create table audit_marker (n int); insert into audit_marker values (1);`, 'stormforge');
  }, 60_000);
  afterAll(async () => { await pg?.stop(); });

  const pending = 'SELECT COUNT(*) FROM sync_queue WHERE synced = 0';

  it('given a running server, then postgres is ready with SELECT 1 and the version', async () => {
    const r = await runConfiguredCheck({ postgres: { url: pg.urlFor('stormforge') } });
    expect(r.status).toBe('ok');
    expect(r.detail).toMatch(/accepting connections, SELECT 1 in \d+ms \(PostgreSQL \d+/);
  });

  it('given a closed port, then postgres reports "no response" like pg_isready', async () => {
    const port = await freePort();
    const r = await runConfiguredCheck({ postgres: { url: `postgres://opsbot@127.0.0.1:${port}/x` } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('no response');
  });

  it('given a server that accepts TCP but never answers, then postgres fails within the timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const r = await runConfiguredCheck({ timeout: '400ms', postgres: { url: `postgres://opsbot@127.0.0.1:${port}/x` } });
      expect(r.status).toBe('fail');
      expect(r.durationMs).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('given a URL with a password, then neither the check name nor the detail shows it', async () => {
    const url = `postgres://opsbot:Tr0ub4dor-secret@127.0.0.1:${pg.port}/no_such_db`;
    const r = await runConfiguredCheck({ postgres: { url } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('database does not exist');
    expect(`${r.name} ${r.detail}`).not.toContain('Tr0ub4dor-secret');
    expect(r.name).toBe(`postgres postgres://127.0.0.1:${pg.port}/no_such_db`);
  });

  it('given 120 pending sync operations, then sql reports the count and judges it against the thresholds', async () => {
    const ok = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: pending, label: 'pending sync operations', warnAbove: 500, failAbove: 1000 } });
    expect(ok.status).toBe('ok');
    expect(ok.data?.value).toBe(120);
    expect(ok.detail).toMatch(/^pending sync operations 120 in \d+ms$/);
    const warn = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: pending, warnAbove: 100, failAbove: 1000 } });
    expect(warn.status).toBe('warn');
    expect(warn.detail).toContain('above 100');
    const fail = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: pending, warnAbove: 10, failAbove: 100 } });
    expect(fail.status).toBe('fail');
    const below = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: 'select count(*) from audit_marker', failBelow: 2 } });
    expect(below.status).toBe('fail');
    expect(below.detail).toContain('below 2');
  });

  it('given a query that writes, then it is refused by the read-only transaction and nothing changes', async () => {
    for (const query of [
      'WITH d AS (DELETE FROM sync_queue RETURNING 1) SELECT count(*) FROM d',
      'DELETE FROM sync_queue',
      "SELECT 1; COMMIT; DELETE FROM sync_queue",
      "SELECT 1; DROP TABLE users; --",
    ]) {
      const r = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query } });
      expect(r.status).toBe('fail');
    }
    expect(await pg.psql('select count(*) from sync_queue', 'stormforge')).toBe('150');
  });

  it('given a query that writes, then the detail says read-only', async () => {
    const r = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: 'WITH d AS (DELETE FROM sync_queue RETURNING 1) SELECT count(*) FROM d' } });
    expect(r.detail).toContain('only read-only queries are allowed');
  });

  it('given a slow query, then the statement timeout cancels it', async () => {
    const r = await runConfiguredCheck({ timeout: '500ms', sql: { url: pg.urlFor('stormforge'), query: 'SELECT count(*) FROM pg_sleep(5)' } });
    expect(r.status).toBe('fail');
    expect(r.durationMs).toBeLessThan(3000);
  });

  it('given a query returning text or two rows, then it fails saying why', async () => {
    const text = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: "SELECT 'many'" } });
    expect(text.detail).toContain('not a number');
    const rows = await runConfiguredCheck({ sql: { url: pg.urlFor('stormforge'), query: 'SELECT id FROM sync_queue LIMIT 2' } });
    expect(rows.detail).toContain('returned 2 rows');
  });
});

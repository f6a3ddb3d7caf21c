import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { tmpDir } from '../support/servers.js';
import { runConfiguredCheck } from '../support/probe.js';
import { describe } from '@jest/globals';
import { healthCheckSchema } from '../../src/config/schema.js';

describe('sqlite and sql probes against SQLite files', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let good: string;
  beforeAll(async () => {
    dir = await tmpDir('opsbot-sqlite-');
    good = path.join(dir.dir, 'stormforge.db');
    const db = new Database(good);
    db.exec(`create table sync_queue (id integer primary key, synced integer not null default 0, payload text);`);
    const ins = db.prepare('insert into sync_queue (synced, payload) values (?, ?)');
    for (let i = 0; i < 400; i++) ins.run(i < 42 ? 0 : 1, 'x'.repeat(200));
    db.close();
  });
  afterAll(async () => { await dir?.cleanup(); });

  it('given an intact database, then integrity_check is ok', async () => {
    const r = await runConfiguredCheck({ sqlite: { path: good } });
    expect(r.status).toBe('ok');
    expect(r.detail).toContain('integrity_check ok');
    const quick = await runConfiguredCheck({ sqlite: { path: good, check: 'quick' } });
    expect(quick.detail).toContain('quick_check ok');
  });

  it('given a missing file, then it fails saying so and does not create it', async () => {
    const missing = path.join(dir.dir, 'nope.db');
    const r = await runConfiguredCheck({ sqlite: { path: missing } });
    expect(r.status).toBe('fail');
    expect(r.detail).toBe(`${missing} does not exist`);
    await expect(readFile(missing)).rejects.toThrow();
  });

  it('given a file that is not SQLite, then it fails', async () => {
    const junk = path.join(dir.dir, 'junk.db');
    await writeFile(junk, 'this is not a database at all, just some text that is long enough'.repeat(20));
    const r = await runConfiguredCheck({ sqlite: { path: junk } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('not a SQLite database');
  });

  it('given a database with damaged pages, then integrity_check reports the problems', async () => {
    const bad = path.join(dir.dir, 'damaged.db');
    const bytes = await readFile(good);
    // Keep the header page, scribble over the pages of the table's b-tree.
    const damaged = Buffer.from(bytes);
    for (let i = 4096 + 8; i < Math.min(damaged.length, 4096 * 6); i += 7) damaged[i] = 0xff;
    await writeFile(bad, damaged);
    const r = await runConfiguredCheck({ sqlite: { path: bad } });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/problem|corrupt|malformed/i);
  });

  it('given 42 pending rows, then the sql probe counts them read-only', async () => {
    const r = await runConfiguredCheck({ sql: { path: good, query: 'SELECT COUNT(*) FROM sync_queue WHERE synced = 0', label: 'pending', warnAbove: 40, failAbove: 100 } });
    expect(r.status).toBe('warn');
    expect(r.data?.value).toBe(42);
  });

  it('given writing or chained statements, then the sql probe refuses them and the file is unchanged', async () => {
    for (const query of ['DELETE FROM sync_queue', 'SELECT 1; DELETE FROM sync_queue', "SELECT 1; DROP TABLE sync_queue; --", 'INSERT INTO sync_queue (synced) VALUES (0) RETURNING 1']) {
      const r = await runConfiguredCheck({ sql: { path: good, query } });
      expect(r.status).toBe('fail');
    }
    const db = new Database(good, { readonly: true });
    expect(db.prepare('select count(*) as n from sync_queue').get()).toEqual({ n: 400 });
    db.close();
  });

  it('given a query that runs for minutes, then the timeout stops it and the event loop stays free meanwhile', async () => {
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 20);
    try {
      const r = await runConfiguredCheck({
        timeout: '600ms',
        sql: { path: good, query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000000000) SELECT count(*) FROM c' },
      });
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/within 600ms|timed out/);
      expect(r.durationMs).toBeLessThan(3000);
      expect(ticks).toBeGreaterThanOrEqual(10); // the loop kept turning while SQLite worked
    } finally {
      clearInterval(ticker);
    }
  });

  it('given a config with both url and path, then it does not validate', async () => {
    const parsed = healthCheckSchema.safeParse({ sql: { path: good, url: 'postgres://x/y', query: 'select 1' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('exactly one of url');
  });
});

/**
 * SQLite backups against real files: the online backup API while a separate sqlite3 process keeps
 * writing, verification, corruption, retention, restore, dry-run, status and the backup-fresh probe.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describeWithServers, tmpDir, which } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, catalog, exec } from '../support/backup.js';

const run = promisify(execFile);

async function sqlite3(db: string, sql: string): Promise<string> {
  const { stdout } = await run(which('sqlite3') as string, [db, sql], { timeout: 30_000 });
  return stdout.trim();
}

/** A separate process writing pairs of rows in one transaction each: a consistent copy has equal counts. */
function startWriter(db: string, transactions: number): ChildProcess {
  const child = spawn(which('sqlite3') as string, [db], { stdio: ['pipe', 'ignore', 'pipe'] });
  let sql = '.timeout 10000\n';
  for (let i = 0; i < transactions; i++) sql += `begin; insert into a(v) values (${i}); insert into b(v) values (${i}); commit;\n`;
  child.stdin?.on('error', () => undefined); // killed mid-script on purpose
  child.stdin?.end(sql);
  return child;
}

function makeDb(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table a (id integer primary key, v int); create table b (id integer primary key, v int);');
  const ins = db.transaction((n: number) => { for (let i = 0; i < n; i++) { db.prepare('insert into a(v) values (?)').run(i); db.prepare('insert into b(v) values (?)').run(i); } });
  ins(2000);
  db.close();
}

describeWithServers(['sqlite3'], 'backup: sqlite (real files, sqlite3 CLI)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let dbFile: string;
  let dest: string;

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-bk-sqlite-');
    dbFile = path.join(tmp.dir, 'app.db');
    dest = path.join(tmp.dir, 'backups');
    makeDb(dbFile);
    tb = await startTestBot({
      http: false,
      yaml: `
targets:
  app:
    environment: production
    health:
      - name: backup fresh
        backup-fresh: { maxAge: 1h }
    backups:
      name: db
      kind: sqlite
      source: ${dbFile}
      destination: ${dest}
      retention: { keepLast: 2 }
${ADMIN_RBAC}`,
    });
  });
  afterAll(async () => {
    await tb?.stop();
    await tmp?.cleanup();
  });

  let firstId = '';

  it('given no backup yet, then backup-fresh fails and backup status says there is none today', async () => {
    const health = await exec(tb, 'health app');
    expect(health.reply.status).toBe('fail');
    expect(health.text).toContain('db: no verified backup');
    const status = await exec(tb, 'backup status app');
    expect(status.reply.status).toBe('fail');
    expect(status.text).toContain('NO backup today');
  });

  it('given another process writing, when backup run, then a consistent, verified, gzip-compressed copy is recorded', async () => {
    const writer = startWriter(dbFile, 50_000);
    const writerDone = new Promise((r) => writer.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    const res = await exec(tb, 'backup run app');
    // The writer was still at work while the backup ran.
    expect(writer.exitCode).toBeNull();
    writer.kill();
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('restore test');
    expect(res.text).toContain('integrity_check ok');
    const [rec] = await catalog(tb);
    expect(rec).toMatchObject({ target: 'app', job: 'db', kind: 'sqlite', status: 'ok', verified: true, compression: 'gzip' });
    firstId = rec!._id;
    expect(path.dirname(rec!.path)).toBe(dest);
    expect((await stat(rec!.path)).size).toBe(rec!.size);
    // The copy opens with the sqlite3 CLI, is intact, and holds whole transactions only.
    const copy = path.join(tmp.dir, 'copy.db');
    await writeFile(copy, gunzipSync(await readFile(rec!.path)));
    expect(await sqlite3(copy, 'PRAGMA integrity_check;')).toBe('ok');
    const [a, b] = (await sqlite3(copy, 'select (select count(*) from a), (select count(*) from b);')).split('|').map(Number);
    expect(a).toBe(b);
    expect(a).toBeGreaterThanOrEqual(2000);
    await writerDone;
  }, 60_000);

  it('given a fresh verified backup, then backup-fresh passes and backup status reports today, intact, and sizes', async () => {
    const health = await exec(tb, 'health app');
    if (health.reply.status !== 'ok') throw new Error(health.text);
    expect(health.reply.status).toBe('ok');
    expect(health.text).toContain(firstId);
    const status = await exec(tb, 'backup status app');
    expect(status.reply.status).toBe('ok');
    expect(status.text).toMatch(/Today's backup:\s*yes/);
    expect(status.text).toContain('gzip -t ok');
    expect(status.text).toContain('Sizes, last 7 days');
  });

  it('given keepLast 2, when backed up twice more, then the oldest is deleted and reported', async () => {
    await exec(tb, 'backup run app');
    const dry = await exec(tb, 'backup run app --dry-run');
    expect(dry.text).toContain(`which would delete ${firstId}`);
    const third = await exec(tb, 'backup run app');
    expect(third.reply.status).toBe('ok');
    expect(third.text).toContain(`deleted 1: ${firstId}`);
    const left = await catalog(tb);
    expect(left.map((r) => r._id)).not.toContain(firstId);
    expect(left).toHaveLength(2);
    const files = (await readdir(dest)).filter((f) => f.endsWith('.gz'));
    expect(files).toHaveLength(2);
  }, 60_000);

  it('given rows deleted, when restore --dry-run, then it says what it would do and changes nothing', async () => {
    const [latest] = await catalog(tb);
    const db = new Database(dbFile);
    db.exec('delete from a; delete from b;');
    db.close();
    const before = await catalog(tb);
    const dry = await exec(tb, `restore app ${latest!._id} --dry-run`);
    expect(dry.reply.status).toBe('info');
    expect(dry.text).toContain(`verify backup ${latest!._id}`);
    expect(dry.text).toContain(`safety copy of ${dbFile}`);
    expect(dry.text).toContain('replace the SQLite file');
    expect(await catalog(tb)).toHaveLength(before.length);
    expect(await sqlite3(dbFile, 'select count(*) from a;')).toBe('0');
  });

  it('when restore, then the rows come back and a safety copy holds what was replaced', async () => {
    const [latest] = await catalog(tb);
    await chmod(dbFile, 0o640);
    const res = await exec(tb, `restore app ${latest!._id}`);
    expect(res.reply.status).toBe('ok');
    expect((await stat(dbFile)).mode & 0o777).toBe(0o640);
    expect(Number(await sqlite3(dbFile, 'select count(*) from a;'))).toBeGreaterThanOrEqual(2000);
    expect(await sqlite3(dbFile, 'PRAGMA integrity_check;')).toBe('ok');
    const safety = (await catalog(tb)).find((r) => r.safety);
    expect(safety).toMatchObject({ status: 'ok', verified: true, reason: `before restore of ${latest!._id}` });
    expect(res.text).toContain(safety!._id);
    expect(res.reply.buttons?.[0]?.command).toBe(`restore app ${safety!._id}`);
    const copy = path.join(tmp.dir, 'safety.db');
    await writeFile(copy, gunzipSync(await readFile(safety!.path)));
    expect(await sqlite3(copy, 'select count(*) from a;')).toBe('0');
  }, 60_000);

  it('given a backup file with flipped bytes, then verify and status catch it and restore refuses it', async () => {
    const [latest] = (await catalog(tb)).filter((r) => !r.safety);
    const bytes = await readFile(latest!.path);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = (bytes[mid] as number) ^ 0xff;
    await writeFile(latest!.path, bytes);
    const v = await exec(tb, `backup verify app ${latest!._id}`);
    expect(v.reply.status).toBe('fail');
    expect(v.text).toMatch(/checksum\s+FAIL/);
    const s = await exec(tb, 'backup status app');
    expect(s.reply.status).toBe('fail');
    expect(s.text).toContain('checksum mismatch');
    const r = await exec(tb, `restore app ${latest!._id}`);
    expect(r.reply.status).toBe('fail');
    expect(r.text).toContain('nothing was restored');
  }, 60_000);

  it('given a damaged gzip stream with a matching checksum, then the gzip step fails', async () => {
    const [latest] = (await catalog(tb)).filter((r) => !r.safety && r.verified);
    const bytes = await readFile(latest!.path);
    const cut = bytes.subarray(0, bytes.length - 40);
    await writeFile(latest!.path, cut);
    const { createHash } = await import('node:crypto');
    await tb.bot.store.collection('backups').updateOne({ _id: latest!._id }, { $set: { checksum: createHash('sha256').update(cut).digest('hex') } });
    const v = await exec(tb, `backup verify app ${latest!._id}`);
    expect(v.reply.status).toBe('fail');
    expect(v.text).toMatch(/gzip\s+FAIL/);
  });

  it('given two runs at once, then the second is refused by the per-target lock', async () => {
    const [x, y] = await Promise.all([exec(tb, 'backup run app'), exec(tb, 'backup run app')]);
    const texts = [x.text, y.text];
    expect(texts.some((t) => t.includes('already running'))).toBe(true);
    expect([x, y].some((r) => r.reply.status === 'ok')).toBe(true);
  }, 60_000);
});

describe('backup: sqlite source missing', () => {
  it('given a source file that does not exist, when backup run, then the run fails with a clear message and is recorded', async () => {
    const tmp = await tmpDir('opsbot-bk-missing-');
    const tb = await startTestBot({
      http: false,
      yaml: `
targets:
  app:
    backups: { kind: sqlite, source: ${tmp.dir}/nope.db, destination: ${tmp.dir}/b }
${ADMIN_RBAC}`,
    });
    try {
      const res = await exec(tb, 'backup run app');
      expect(res.reply.status).toBe('fail');
      expect(res.text).toContain('does not exist');
      const [rec] = await catalog(tb);
      expect(rec).toMatchObject({ status: 'failed' });
      expect((await readdir(`${tmp.dir}/b`)).filter((f) => !f.startsWith('.'))).toEqual([]);
    } finally {
      await tb.stop();
      await tmp.cleanup();
    }
  });
});

/**
 * PostgreSQL backups against a real cluster: pg_dump while another connection keeps writing,
 * verify, retention, restore into a scratch database and compare rows, corruption, the password
 * kept out of argv, and injection attempts in every argument.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describeWithServers, tmpDir, which } from '../support/servers.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, catalog, exec } from '../support/backup.js';

describeWithServers(['initdb', 'postgres', 'psql', 'pg_dump', 'pg_restore'], 'backup: postgres (real cluster)', () => {
  let pgs: PostgresServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let dest: string;
  let argvLog: string;

  beforeAll(async () => {
    pgs = await startPostgres();
    tmp = await tmpDir('opsbot-bk-pg-');
    dest = path.join(tmp.dir, 'backups');
    await pgs.psql('create database app');
    await pgs.psql('create database scratch');
    await pgs.psql(`create table orders (id serial primary key, item text not null, qty int not null);
      create table order_lines (id serial primary key, order_id int not null references orders(id), note text);
      insert into orders (item, qty) select 'item ' || g, g from generate_series(1, 500) g;
      insert into order_lines (order_id, note) select id, 'line of ' || id from orders;`, 'app');
    // A pg_dump that records its argv and whether PGPASSWORD reached it, then runs the real one.
    argvLog = path.join(tmp.dir, 'argv.log');
    const wrapper = path.join(tmp.dir, 'pg_dump-recording');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nprintf 'PGPASSWORD=%s\\n' "$PGPASSWORD" >> '${argvLog}'\nexec '${which('pg_dump')}' "$@"\n`);
    await chmod(wrapper, 0o755);
    tb = await startTestBot({
      http: false,
      env: { APP_DB_PASSWORD: 's3cret-pw-42' },
      yaml: `
targets:
  shop:
    backups:
      name: db
      kind: postgres
      source: postgres://${pgs.user}:\${APP_DB_PASSWORD}@${pgs.host}:${pgs.port}/app
      restoreTo: postgres://${pgs.user}:\${APP_DB_PASSWORD}@${pgs.host}:${pgs.port}/scratch
      destination: ${dest}
      retention: { keepLast: 2, keepDays: 1 }
      pgDump: ${wrapper}
  ghost:
    backups:
      kind: postgres
      source: postgres://${pgs.user}@${pgs.host}:${pgs.port}/x%3Btouch%20${encodeURIComponent(tmp.dir)}%2Fpwned
      destination: ${dest}/ghost
${ADMIN_RBAC}`,
    });
  }, 90_000);
  afterAll(async () => {
    await tb?.stop();
    await pgs?.stop();
    await tmp?.cleanup();
  });

  it('given another connection inserting, when backup run, then pg_dump output is verified and consistent', async () => {
    const writer = new pg.Client({ connectionString: pgs.urlFor('app') });
    await writer.connect();
    let writing = true;
    let written = 0;
    const loop = (async () => {
      while (writing) {
        await writer.query('begin');
        const { rows } = await writer.query("insert into orders (item, qty) values ('live', 1) returning id");
        await writer.query('insert into order_lines (order_id, note) values ($1, $2)', [rows[0].id, 'live line']);
        await writer.query('commit');
        written += 1;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const res = await exec(tb, 'backup run shop');
    writing = false;
    await loop;
    await writer.end();
    expect(written).toBeGreaterThan(0);
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('pg_restore --list ok');
    const [rec] = await catalog(tb);
    expect(rec).toMatchObject({ kind: 'postgres', status: 'ok', verified: true, compression: 'gzip' });
    expect(rec!.path.endsWith('.dump.gz')).toBe(true);
    // The password reached pg_dump through the environment only.
    const log = await readFile(argvLog, 'utf8');
    expect(log).toContain('--format=custom');
    expect(log).toContain('PGPASSWORD=s3cret-pw-42');
    expect(log.split('\n').filter((l) => !l.startsWith('PGPASSWORD=')).join('\n')).not.toContain('s3cret-pw-42');
    // Nor does it appear in the reply.
    expect(res.text).not.toContain('s3cret-pw-42');
  }, 60_000);

  it('when restore into the scratch database, then its rows equal the source at backup time', async () => {
    const [rec] = await catalog(tb);
    const dry = await exec(tb, `restore shop ${rec!._id} --dry-run`);
    expect(dry.text).toContain('pg_restore --clean --if-exists --single-transaction into opsbot@127.0.0.1');
    expect(dry.text).toContain('/scratch');
    expect(dry.text).not.toContain('s3cret');
    const res = await exec(tb, `restore shop ${rec!._id}`);
    expect(res.reply.status).toBe('ok');
    const count = Number(await pgs.psql('select count(*) from orders', 'scratch'));
    const lines = Number(await pgs.psql('select count(*) from order_lines', 'scratch'));
    expect(count).toBeGreaterThanOrEqual(500);
    expect(lines).toBe(count); // whole transactions only
    const maxId = Number(await pgs.psql('select max(id) from orders', 'scratch'));
    const source = await pgs.psql(`select string_agg(id || ':' || item || ':' || qty, ',' order by id) from orders where id <= ${maxId}`, 'app');
    const restored = await pgs.psql("select string_agg(id || ':' || item || ':' || qty, ',' order by id) from orders", 'scratch');
    expect(restored).toBe(source);
    // The scratch database was empty before: the safety copy is a valid, empty dump.
    const safety = (await catalog(tb)).find((r) => r.safety);
    expect(safety).toMatchObject({ status: 'ok', verified: true });
  }, 60_000);

  it('when restored again, then pg_restore --clean replaces the rows instead of adding to them', async () => {
    const [rec] = (await catalog(tb)).filter((r) => !r.safety);
    const before = await pgs.psql('select count(*) from orders', 'scratch');
    await pgs.psql("insert into orders (item, qty) values ('stray', 9)", 'scratch');
    const res = await exec(tb, `restore shop ${rec!._id}`);
    expect(res.reply.status).toBe('ok');
    expect(await pgs.psql('select count(*) from orders', 'scratch')).toBe(before);
    expect(await pgs.psql("select count(*) from orders where item = 'stray'", 'scratch')).toBe('0');
  }, 60_000);

  it('given keepLast 2 or 1 day, then backups younger than a day are all kept', async () => {
    await exec(tb, 'backup run shop');
    const third = await exec(tb, 'backup run shop');
    expect(third.text).toContain('Retention (keep 1 day or the last 2): nothing to delete.');
    expect((await catalog(tb)).filter((r) => !r.safety)).toHaveLength(3);
  }, 60_000);

  it('given a truncated dump, then verify fails', async () => {
    const [rec] = (await catalog(tb)).filter((r) => !r.safety);
    const bytes = await readFile(rec!.path);
    await writeFile(rec!.path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const v = await exec(tb, `backup verify shop ${rec!._id}`);
    expect(v.reply.status).toBe('fail');
    expect(v.text).toMatch(/checksum\s+FAIL/);
  });

  it('given a database name made of shell syntax in config, then it is passed as data: pg_dump fails, nothing runs', async () => {
    const res = await exec(tb, 'backup run ghost');
    expect(res.reply.status).toBe('fail');
    expect(res.text).toContain('does not exist');
    expect(await readdir(tmp.dir)).not.toContain('pwned');
  }, 30_000);

  it.each([
    ['backup run', 'shop; rm -rf /'],
    ['backup run', '$(id)'],
    ['backup run', '../../etc/passwd'],
    ['backup list', '`touch /tmp/x`'],
    ['backup status', '../shop'],
    ['backup verify', 'shop\nrm -rf /'],
  ])('given %s with target %j, then the argument is rejected before anything runs', async (cmd, target) => {
    // Single quotes: the characters (newlines included) reach the command as they are.
    const res = await exec(tb, `${cmd} '${target}'`);
    expect(res.outcome).toBe('usage');
    expect(res.text).toContain('not a target name');
  });

  it.each([
    '../../etc/passwd',
    '/etc/passwd',
    'db-20261124-092512-3fa1; rm -rf /',
    '$(id)',
    'db-20261124-092512-3fa1\nx',
    'db-20261124-092512-3fa1/../../x',
    '..',
  ])('given restore or verify with backup id %j, then it is rejected as not an id', async (id) => {
    for (const line of [`restore shop '${id}'`, `backup verify shop '${id}'`, `restore shop '${id}' --dry-run`]) {
      const res = await exec(tb, line);
      expect(res.outcome).toBe('usage');
      expect(res.text).toContain('not a backup id');
    }
  });

  it('given a well-formed id of no backup, then restore says so and changes nothing', async () => {
    const n = (await catalog(tb)).length;
    const res = await exec(tb, 'restore shop db-20200101-000000-0000');
    expect(res.reply.status).toBe('fail');
    expect(res.text).toContain('no backup db-20200101-000000-0000 of shop');
    expect(await catalog(tb)).toHaveLength(n);
  });

  it('given a backup id of another target, then it is not found there', async () => {
    const [rec] = (await catalog(tb)).filter((r) => r.target === 'shop');
    const res = await exec(tb, `backup verify ghost ${rec!._id}`);
    expect(res.text).toContain(`no backup ${rec!._id} of ghost`);
  });
});

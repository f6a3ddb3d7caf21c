/**
 * PostgreSQL and MongoDB backups on an SSH host, through the router: a real OpenSSH server on
 * loopback (test/support/sshd.ts) is the "database host". pg_dump / pg_restore run in its
 * sessions against the real PostgreSQL cluster of the test support and the dump streams to the
 * bot, is verified (pg_restore --list on the host), catalogued and restored. mongo-tools are not
 * packaged for Debian: a stand-in mongodump/mongorestore (test/support/fake-mongodump.mjs) runs
 * on the host to check the argv, the 0600 config file and the streams; a real mongodump against
 * MONGODB_URL runs when that is set. Passwords never reach a command line.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, describeWithUrl, itWithBinary, tmpDir, which } from '../support/servers.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, catalog, exec } from '../support/backup.js';
import { parseConfigText } from '../../src/config/load.js';

const hostsYaml = (sshd: Sshd, name = 'db1', key = sshd.hostKey) => `
  ${name}:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${key}"`;

/** The scratch folders remote engines leave behind (none, when they clean up). */
async function leftovers(): Promise<string[]> {
  return (await readdir('/tmp')).filter((f) => f.startsWith('opsbot-backup.'));
}

describeWithServers(['sshd', 'ssh-keygen', 'initdb', 'postgres', 'psql', 'pg_dump', 'pg_restore'], 'backup: postgres on an SSH host (real sshd, real cluster)', () => {
  let sshd: Sshd;
  let pgs: PostgresServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let dest: string;
  let argvLog: string;
  let before: string[];

  beforeAll(async () => {
    [sshd, pgs, tmp] = await Promise.all([startSshd(), startPostgres(), tmpDir('opsbot-bk-remote-pg-')]);
    before = await leftovers();
    dest = path.join(tmp.dir, 'backups');
    await pgs.psql('create database app');
    await pgs.psql('create database scratch');
    await pgs.psql(`create table orders (id serial primary key, item text not null, qty int not null);
      insert into orders (item, qty) select 'item ' || g, g from generate_series(1, 300) g;`, 'app');
    // pg_dump / pg_restore on the "remote" host that record their argv
    // and whether PGPASSWORD reached them, then run the real tools.
    argvLog = path.join(tmp.dir, 'argv.log');
    for (const tool of ['pg_dump', 'pg_restore']) {
      const wrapper = path.join(tmp.dir, `${tool}-recording`);
      await writeFile(wrapper, `#!/bin/sh
printf '%s %s\\n' '${tool}' "$*" >> '${argvLog}'
printf 'PGPASSWORD=%s\\n' "$PGPASSWORD" >> '${argvLog}'
exec '${which(tool)}' "$@"
`);
      await chmod(wrapper, 0o755);
    }
    tb = await startTestBot({
      http: false,
      env: { OPSBOT_TEST_SSH_KEY: sshd.clientKey, APP_DB_PASSWORD: "s3cret 'pw' $(id) 42" },
      yaml: `${ADMIN_RBAC}
hosts:${hostsYaml(sshd)}${hostsYaml(sshd, 'spoofed', sshd.otherHostKey)}
targets:
  shop:
    backups:
      name: db
      kind: postgres
      host: db1
      source: postgres://${pgs.user}:\${APP_DB_PASSWORD}@127.0.0.1:${pgs.port}/app
      restoreTo: postgres://${pgs.user}:\${APP_DB_PASSWORD}@127.0.0.1:${pgs.port}/scratch
      destination: ${dest}
      pgDump: ${tmp.dir}/pg_dump-recording
      pgRestore: ${tmp.dir}/pg_restore-recording
  ghost:
    backups:
      kind: postgres
      host: db1
      source: postgres://${pgs.user}@127.0.0.1:${pgs.port}/x%27%3Btouch%20${encodeURIComponent(tmp.dir)}%2Fpwned
      destination: ${dest}/ghost
  spoofed:
    backups:
      kind: postgres
      host: spoofed
      source: postgres://${pgs.user}@127.0.0.1:${pgs.port}/app
      destination: ${dest}/spoofed
`,
    });
  }, 90_000);
  afterAll(async () => {
    await tb?.stop();
    await Promise.all([sshd?.stop(), pgs?.stop()]);
    await tmp?.cleanup();
  });

  it('when backup run, then pg_dump runs on the host, the dump streams back and is verified there', async () => {
    const res = await exec(tb, 'backup run shop');
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('pg_restore --list ok on db1');
    const [rec] = await catalog(tb);
    expect(rec).toMatchObject({ kind: 'postgres', status: 'ok', verified: true, compression: 'gzip' });
    expect(rec!.path.startsWith(dest)).toBe(true);
    expect(rec!.figures).toMatchObject({ host: 'db1' });
    expect(Number(rec!.figures!.tables)).toBe(1);
    const log = await readFile(argvLog, 'utf8');
    expect(log).toMatch(/^pg_dump --format=custom --compress=0 --no-password --dbname=postgres:\/\/opsbot@127\.0\.0\.1:\d+\/app$/m);
    // The password reached the tools through their environment only: not their argv, not the reply (the command line is tested in env-stdin.test.ts).
    expect(log).toContain("PGPASSWORD=s3cret 'pw' $(id) 42");
    expect(log.split('\n').filter((l) => !l.startsWith('PGPASSWORD=')).join('\n')).not.toContain('s3cret');
    expect(res.text).not.toContain('s3cret');
    expect(await leftovers()).toEqual(before);
  }, 60_000);

  it('when restore into the scratch database, then pg_restore runs on the host and the rows equal the source', async () => {
    const [rec] = (await catalog(tb)).filter((r) => !r.safety);
    const dry = await exec(tb, `restore shop ${rec!._id} --dry-run`);
    expect(dry.text).toContain('upload the dump to db1 (ssh ');
    expect(dry.text).toContain('/scratch');
    expect(dry.text).not.toContain('s3cret');
    await pgs.psql("create table orders (id int primary key, item text, qty int); insert into orders values (1, 'stray', 9)", 'scratch');
    const res = await exec(tb, `restore shop ${rec!._id}`);
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('pg_restore --clean into opsbot@127.0.0.1');
    const source = await pgs.psql("select string_agg(id || ':' || item || ':' || qty, ',' order by id) from orders", 'app');
    expect(await pgs.psql("select string_agg(id || ':' || item || ':' || qty, ',' order by id) from orders", 'scratch')).toBe(source);
    // The safety copy of what the restore replaced was dumped on the host too.
    const safety = (await catalog(tb)).find((r) => r.safety);
    expect(safety).toMatchObject({ status: 'ok', verified: true });
    expect(await leftovers()).toEqual(before);
  }, 60_000);

  it('given a damaged dump, when verify runs, then the restore test on the host fails', async () => {
    const [rec] = (await catalog(tb)).filter((r) => !r.safety);
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const raw = gunzipSync(await readFile(rec!.path));
    await writeFile(rec!.path, gzipSync(Buffer.concat([Buffer.from('NOTPGDMP'), raw.subarray(8)])));
    // Keep the checksum step passing, so the restore test is what fails.
    const { createHash } = await import('node:crypto');
    await tb.bot.store.collection('backups').updateOne({ _id: rec!._id }, { $set: { checksum: createHash('sha256').update(await readFile(rec!.path)).digest('hex'), size: (await readFile(rec!.path)).length } });
    const v = await exec(tb, `backup verify shop ${rec!._id}`);
    expect(v.reply.status).toBe('fail');
    expect(v.text).toMatch(/pg_restore.*(exited|input file does not appear)/);
  }, 60_000);

  it('given a database name of shell syntax, then it reaches pg_dump as data: the dump fails, nothing else runs', async () => {
    const res = await exec(tb, 'backup run ghost');
    expect(res.reply.status).toBe('fail');
    expect(res.text).toContain('does not exist');
    expect(existsSync(path.join(tmp.dir, 'pwned'))).toBe(false);
  }, 30_000);

  it('given a host whose pinned key is not the server\'s, then the backup fails before anything runs, naming the key', async () => {
    const res = await exec(tb, 'backup run spoofed');
    expect(res.reply.status).toBe('fail');
    expect(res.text).toContain('does not match the pinned key');
  }, 30_000);
});

describeWithServers(['sshd', 'ssh-keygen', 'node'], 'backup: mongodb on an SSH host (real sshd, stand-in mongo-tools)', () => {
  let sshd: Sshd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let log: string;

  beforeAll(async () => {
    [sshd, tmp] = await Promise.all([startSshd(), tmpDir('opsbot-bk-remote-mongo-')]);
    const bin = path.join(tmp.dir, 'bin');
    await mkdir(bin, { recursive: true });
    log = path.join(bin, 'calls.log');
    for (const name of ['mongodump', 'mongorestore']) {
      await copyFile(path.resolve('test/support/fake-mongodump.mjs'), path.join(bin, name));
      await chmod(path.join(bin, name), 0o755);
    }
    await writeFile(path.join(bin, 'fake.json'), JSON.stringify({ log, nodeModules: path.resolve('node_modules') }));
    tb = await startTestBot({
      http: false,
      env: { OPSBOT_TEST_SSH_KEY: sshd.clientKey, PF_MONGO_PASSWORD: 't0ps3cret' },
      yaml: `${ADMIN_RBAC}
hosts:${hostsYaml(sshd)}
targets:
  pf:
    backups:
      kind: mongodb
      host: db1
      tool: mongodump
      mongodump: ${bin}/mongodump
      mongorestore: ${bin}/mongorestore
      source: mongodb://backup:\${PF_MONGO_PASSWORD}@127.0.0.1:27017/pixelforge-prod
      restoreDatabase: pixelforge-test
      destination: ${tmp.dir}/backups
`,
    });
  }, 60_000);
  afterAll(async () => {
    await tb?.stop();
    await sshd?.stop();
    await tmp?.cleanup();
  });

  interface Call { tool: string; args: string[]; config: string; configPath: string; configMode: string; stdinBytes?: number }
  const calls = async (): Promise<Call[]> => (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Call);

  it('when backup run and restore, then mongo-tools run on the host with the URL in a 0600 config file, the archive streamed both ways', async () => {
    const res = await exec(tb, 'backup run pf');
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('archive parsed, 6 BSON documents, 1 namespaces');
    const [rec] = await catalog(tb);
    expect(rec!.path.endsWith('.archive.gz')).toBe(true);
    expect(rec!.figures).toMatchObject({ host: 'db1' });
    const restored = await exec(tb, `restore pf ${rec!._id}`);
    expect(restored.reply.status).toBe('ok');
    expect(restored.text).toContain('mongorestore --drop into 127.0.0.1:27017/pixelforge-test (from db1)');
    const all = await calls();
    const dump = all.find((c) => c.tool === 'mongodump' && c.args.includes('--db=pixelforge-prod'))!;
    expect(dump.args).toEqual([expect.stringMatching(/^--config=\/tmp\/opsbot-backup\.[A-Za-z0-9]{10}\/mongo-tools\.yaml$/), '--archive', '--db=pixelforge-prod']);
    const restore = all.find((c) => c.tool === 'mongorestore')!;
    expect(restore.args).toEqual(expect.arrayContaining(['--archive', '--drop', '--nsFrom=pixelforge-prod.*', '--nsTo=pixelforge-test.*']));
    expect(restore.stdinBytes).toBeGreaterThan(100);
    for (const c of all) {
      expect(c.args.join(' ')).not.toContain('t0ps3cret');
      expect(c.config).toContain('t0ps3cret');
      expect(c.configMode).toBe('600');
      expect(existsSync(c.configPath)).toBe(false);
    }
    expect(res.text + restored.text).not.toContain('t0ps3cret');
  }, 60_000);

  it('given a mongodb job with host: and the driver tool, when the config loads, then it asks for tool: mongodump', () => {
    expect(() => parseConfigText(`
hosts:
  db1: { address: 127.0.0.1, user: ops, privateKeyFile: /k, hostKey: "SHA256:${'A'.repeat(43)}" }
targets:
  pf:
    backups: { kind: mongodb, host: db1, source: "mongodb://127.0.0.1/pf", destination: /backups }
`, 'x.yaml', {})).toThrow(/targets\.pf\.backups\[0\]\.tool.*set tool: mongodump/s);
  });
});

describeWithUrl('MONGODB_URL', 'backup: mongodb on an SSH host against a real server', () => {
  let sshd: Sshd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;

  beforeAll(async () => {
    [sshd, tmp] = await Promise.all([startSshd(), tmpDir('opsbot-bk-remote-mongo-real-')]);
    tb = await startTestBot({
      http: false,
      env: { OPSBOT_TEST_SSH_KEY: sshd.clientKey, REAL_MONGODB_URL: process.env.MONGODB_URL as string },
      yaml: `${ADMIN_RBAC}
hosts:${hostsYaml(sshd)}
targets:
  real:
    backups: { kind: mongodb, host: db1, tool: mongodump, source: "\${REAL_MONGODB_URL}", database: opsbot-remote-backup-test, destination: ${tmp.dir}/backups }
`,
    });
  }, 60_000);
  afterAll(async () => {
    await tb?.stop();
    await sshd?.stop();
    await tmp?.cleanup();
  });

  itWithBinary('mongodump', 'when backup run, then the real mongodump archive streams back and parses', async () => {
    const res = await exec(tb, 'backup run real');
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('archive parsed');
  }, 120_000);
});


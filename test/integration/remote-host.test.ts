/**
 * Disk and memory checks and backups on an SSH host, against a real OpenSSH server (Debian's
 * `openssh-server`, test/support/sshd.ts) through the router: `df -Pk` and `/proc/meminfo` read
 * there with the local checks' thresholds and replies, a hostile path stays data, and files (tar)
 * and sqlite (sqlite3 .backup) backups run on the host, stream to the bot, are gzip'ed, catalogued,
 * verified and restored back onto the host.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describeWithServers, tmpDir } from '../support/servers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, catalog, exec } from '../support/backup.js';

const run = promisify(execFile);

describeWithServers(['sshd', 'ssh-keygen', 'sqlite3'], 'checks and backups on an SSH host (real sshd)', () => {
  let sshd: Sshd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let app: string;
  let db: string;
  let dest: string;
  let marker: string;

  beforeAll(async () => {
    sshd = await startSshd();
    tmp = await tmpDir('opsbot-remote-');
    app = path.join(tmp.dir, 'app');
    dest = path.join(tmp.dir, 'backups');
    db = path.join(tmp.dir, 'data', 'app.db');
    marker = path.join(tmp.dir, 'pwned');
    await mkdir(path.join(app, 'conf'), { recursive: true });
    await mkdir(path.dirname(db), { recursive: true });
    await writeFile(path.join(app, '.env'), 'PORT=8080\n');
    await writeFile(path.join(app, 'conf', 'app.yaml'), 'workers: 4\n');
    const d = new Database(db);
    d.exec("create table notes (id integer primary key, body text); insert into notes (body) values ('one'), ('two');");
    d.close();
    tb = await startTestBot({
      http: false,
      env: { OPSBOT_TEST_SSH_KEY: sshd.clientKey },
      yaml: `${ADMIN_RBAC}
hosts:
  box:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${sshd.hostKey}"
  spoofed:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${sshd.otherHostKey}"
targets:
  box:
    health:
      - name: root disk
        disk: { host: box, path: /, maxUsedPercent: 100 }
      - name: full disk
        disk: { host: box, path: ${tmp.dir}, maxUsedPercent: 1 }
      - name: memory
        memory: { host: box, maxUsedPercent: 100 }
  hostile:
    health:
      - name: hostile path
        disk: { host: box, path: "$(touch ${marker}); '\`touch ${marker}\`" }
      - name: option-like path
        disk: { host: box, path: "--version" }
  spoofed:
    health:
      - disk: { host: spoofed, path: / }
  app:
    backups:
      - name: config
        kind: files
        host: box
        source: { dir: ${app}, paths: [.env, conf] }
        destination: ${dest}
      - name: db
        kind: sqlite
        host: box
        source: ${db}
        destination: ${dest}
`,
    });
  }, 60_000);
  afterAll(async () => {
    await tb?.stop();
    await sshd?.stop();
    await tmp?.cleanup();
  });

  describe('disk and memory', () => {
    it('when health runs, then df and /proc/meminfo are read on the host with the usual thresholds', async () => {
      const r = await exec(tb, 'health box');
      expect(r.reply.status).toBe('fail');
      expect(r.text).toMatch(/\/ \d+\.\d% used \(\d+\.\d GiB free, limit 100%\) on box/);
      expect(r.text).toMatch(new RegExp(`${tmp.dir.replace(/[/.]/g, '.')} \\d+\\.\\d% used .*limit 1%\\) on box`));
      expect(r.text).toMatch(/\d+\.\d% used \(\d+\.\d GiB of \d+\.\d GiB available, limit 100%\) on box/);
      const { stdout } = await run('df', ['-Pk', '/']);
      const local = stdout.trim().split('\n')[1]!.split(/\s+/);
      const pct = (Number(local[2]) / (Number(local[2]) + Number(local[3]))) * 100;
      const shown = Number(/\/ (\d+\.\d)% used/.exec(r.text)![1]);
      expect(Math.abs(shown - pct)).toBeLessThan(1);
    }, 30_000);

    it('when the path holds shell syntax or looks like an option, then df gets it as one path and nothing else runs', async () => {
      const r = await exec(tb, 'health hostile');
      expect(r.reply.status).toBe('fail');
      expect(r.text).toMatch(/df exited with 1: df: .*No such file or directory/);
      expect(r.text).toContain('df: --version: No such file or directory');
      expect(existsSync(marker)).toBe(false);
    }, 30_000);

    it('when the host key does not match, then the check fails with the refusal', async () => {
      const r = await exec(tb, 'health spoofed');
      expect(r.reply.status).toBe('fail');
      expect(r.text).toContain('does not match the pinned key');
    }, 30_000);
  });

  describe('backups', () => {
    it('when backup run, then tar and sqlite3 run on the host and verified gzip copies land in the catalog', async () => {
      const r = await exec(tb, 'backup run app');
      expect(r.reply.status).toBe('ok');
      const recs = await catalog(tb);
      const config = recs.find((x) => x.job === 'config')!;
      const dbRec = recs.find((x) => x.job === 'db')!;
      expect(config).toMatchObject({ status: 'ok', verified: true, compression: 'gzip', figures: { files: 2, host: 'box' } });
      expect(dbRec).toMatchObject({ status: 'ok', verified: true, compression: 'gzip', figures: { host: 'box' } });
      const { stdout } = await run('tar', ['-tzf', config.path]);
      expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['.env', 'conf/', 'conf/app.yaml']);
      const v = await exec(tb, `backup verify app ${dbRec._id}`);
      expect(v.reply.status).toBe('ok');
      expect(v.text).toContain('integrity_check ok, 1 table');
      expect((await run('sh', ['-c', 'ls /tmp | grep -c opsbot-backup || true'])).stdout.trim()).toBe('0');
    }, 60_000);

    it('given the data changed on the host, when restore, then the files and the database come back there', async () => {
      const recs = await catalog(tb);
      const config = recs.find((x) => x.job === 'config' && !x.safety)!;
      const dbRec = recs.find((x) => x.job === 'db' && !x.safety)!;
      await writeFile(path.join(app, '.env'), 'BROKEN\n');
      const d = new Database(db);
      d.exec('delete from notes');
      d.close();
      const dry = await exec(tb, `restore app ${dbRec._id} --dry-run`);
      expect(dry.text).toContain(`box:${db}`);
      const rf = await exec(tb, `restore app ${config._id}`);
      expect(rf.reply.status).toBe('ok');
      expect(rf.text).toContain(`extracted the tar into box:${app}`);
      expect(await readFile(path.join(app, '.env'), 'utf8')).toBe('PORT=8080\n');
      const rd = await exec(tb, `restore app ${dbRec._id}`);
      expect(rd.reply.status).toBe('ok');
      const after = new Database(db, { readonly: true });
      expect(after.prepare('select count(*) as n from notes').get()).toEqual({ n: 2 });
      after.close();
      const safety = (await catalog(tb)).filter((x) => x.safety);
      expect(safety.map((x) => x.job).sort()).toEqual(['config', 'db']);
      expect(existsSync(`${db}.opsbot-restore`)).toBe(false);
    }, 60_000);

    it('given a file to back up missing on the host, then the run fails naming it', async () => {
      await run('rm', ['-r', path.join(app, 'conf')]);
      const r = await exec(tb, 'backup run app config');
      expect(r.reply.status).toBe('fail');
      expect(r.text).toContain(`files to back up are missing in box:${app}: conf`);
    }, 30_000);
  });
});

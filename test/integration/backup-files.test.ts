/**
 * Files backups (the Linguamate config and log backups): tar.gz of configured paths, verify,
 * restore into the configured directory with a safety copy, and archives that try to escape.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import * as tar from 'tar';
import { tmpDir } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, catalog, exec } from '../support/backup.js';
import { containedFile } from '../../src/ops/backup/paths.js';
import type { BackupRecord } from '../../src/ops/backup/types.js';

const run = promisify(execFile);

describe('backup: files (tar.gz of configured paths)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let app: string;
  let dest: string;

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-bk-files-');
    app = path.join(tmp.dir, 'linguamate');
    dest = path.join(tmp.dir, 'backups');
    await mkdir(path.join(app, 'backend', 'src'), { recursive: true });
    await mkdir(path.join(app, 'logs'), { recursive: true });
    await writeFile(path.join(app, '.env'), 'PORT=8080\nAPI_KEY=abc\n');
    await writeFile(path.join(app, 'backend', 'src', 'index.ts'), 'export const x = 1;\n');
    await writeFile(path.join(app, 'logs', 'app.log'), 'line\n'.repeat(1000));
    await writeFile(path.join(app, 'not-backed-up.txt'), 'x');
    tb = await startTestBot({
      http: false,
      yaml: `
targets:
  linguamate:
    backups:
      - name: config
        kind: files
        source: { dir: ${app}, paths: [.env, backend] }
        destination: ${dest}
        retention: { keepDays: 30 }
      - name: logs
        kind: files
        source: { dir: ${app}, paths: [logs] }
        destination: ${dest}
        restoreTo: ${tmp.dir}/restored-logs
${ADMIN_RBAC}`,
    });
  });
  afterAll(async () => {
    await tb?.stop();
    await tmp?.cleanup();
  });

  it('when backup run, then each job writes a verified tar.gz holding exactly its paths', async () => {
    const res = await exec(tb, 'backup run linguamate');
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('tar listed');
    const recs = await catalog(tb);
    expect(recs).toHaveLength(2);
    const config = recs.find((r) => r.job === 'config')!;
    expect(config.path).toMatch(/linguamate_config-\d{8}-\d{6}-[0-9a-f]{4}\.tar\.gz$/);
    const { stdout } = await run('tar', ['-tzf', config.path]);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['.env', 'backend/', 'backend/src/', 'backend/src/index.ts']);
  });

  it('given .env changed, when restore, then it comes back and the safety copy holds the changed one', async () => {
    const config = (await catalog(tb)).find((r) => r.job === 'config')!;
    await writeFile(path.join(app, '.env'), 'BROKEN\n');
    const dry = await exec(tb, `restore linguamate ${config._id} --dry-run`);
    expect(dry.text).toContain(`extract the tar into ${app}`);
    expect(await readFile(path.join(app, '.env'), 'utf8')).toBe('BROKEN\n');
    const res = await exec(tb, `restore linguamate ${config._id}`);
    expect(res.reply.status).toBe('ok');
    expect(await readFile(path.join(app, '.env'), 'utf8')).toBe('PORT=8080\nAPI_KEY=abc\n');
    expect(await readFile(path.join(app, 'not-backed-up.txt'), 'utf8')).toBe('x');
    const safety = (await catalog(tb)).find((r) => r.safety)!;
    expect(path.dirname(safety.path)).toBe(path.join(dest, 'safety'));
    const { stdout } = await run('tar', ['-xzOf', safety.path, '.env']);
    expect(stdout).toBe('BROKEN\n');
  });

  it('given restoreTo, then the logs are extracted there', async () => {
    const logs = (await catalog(tb)).find((r) => r.job === 'logs' && !r.safety)!;
    const res = await exec(tb, `restore linguamate ${logs._id}`);
    expect(res.reply.status).toBe('ok');
    expect(res.text).toContain('Safety copy: nothing to keep: none of logs exist in');
    expect((await catalog(tb)).filter((r) => r.status === 'failed')).toEqual([]);
    expect(await readFile(path.join(tmp.dir, 'restored-logs', 'logs', 'app.log'), 'utf8')).toBe('line\n'.repeat(1000));
  });

  it('given a backup replaced by a tar with a ../ entry (checksum matching), then verify and restore refuse it and nothing escapes', async () => {
    const config = (await catalog(tb)).find((r) => r.job === 'config' && !r.safety)!;
    const evil = path.join(tmp.dir, 'evil');
    await mkdir(path.join(evil, 'inner'), { recursive: true });
    await writeFile(path.join(evil, 'escape.txt'), 'pwned');
    const tarFile = path.join(evil, 'x.tar');
    await tar.create({ file: tarFile, cwd: path.join(evil, 'inner'), preservePaths: true }, ['../escape.txt']);
    const gz = gzipSync(await readFile(tarFile));
    await writeFile(config.path, gz);
    await tb.bot.store.collection('backups').updateOne({ _id: config._id }, { $set: { checksum: createHash('sha256').update(gz).digest('hex') } });
    const v = await exec(tb, `backup verify linguamate ${config._id}`);
    expect(v.reply.status).toBe('fail');
    expect(v.text).toContain('entries outside its folder');
    const r = await exec(tb, `restore linguamate ${config._id}`);
    expect(r.reply.status).toBe('fail');
    await expect(readFile(path.join(tmp.dir, 'escape.txt'))).rejects.toThrow();
  });

  it('given a catalog path pointing outside the folder or through a symlink, then it is refused', async () => {
    await expect(containedFile(dest, '/etc/passwd')).rejects.toThrow('not inside the backup folder');
    await expect(containedFile(dest, path.join(dest, '..', 'linguamate', '.env'))).rejects.toThrow('not inside the backup folder');
    await symlink('/etc/passwd', path.join(dest, 'link.tar.gz'));
    await expect(containedFile(dest, path.join(dest, 'link.tar.gz'))).rejects.toThrow('resolves outside');
    await rm(path.join(dest, 'link.tar.gz'));
    const rec = (await catalog(tb)).find((r) => r.status === 'ok');
    await tb.bot.store.collection('backups').updateOne({ _id: rec!._id }, { $set: { path: '/etc/passwd' } });
    const v = await exec(tb, `backup verify linguamate ${rec!._id}`);
    expect(v.reply.status).toBe('fail');
    expect(v.text).toContain('not inside the backup folder');
  });

  it('given leftovers of an interrupted run, then the next run marks it failed and removes its scratch files', async () => {
    const { newBackupId } = await import('../../src/ops/backup/paths.js');
    const id = newBackupId('config', new Date());
    await tb.bot.store.collection<BackupRecord>('backups').insertOne({ _id: id, target: 'linguamate', job: 'config', kind: 'files', path: path.join(dest, `linguamate_${id}.tar.gz`), size: 0, checksum: '', compression: 'gzip', startedAt: new Date(), status: 'running', verified: false });
    await mkdir(path.join(dest, `.opsbot-work-${id}`));
    await writeFile(path.join(dest, `linguamate_${id}.tar.gz.partial`), 'half');
    const res = await exec(tb, 'backup run linguamate config');
    expect(res.reply.status).toBe('ok');
    expect((await catalog(tb)).find((r) => r._id === id)).toMatchObject({ status: 'failed', error: 'interrupted: opsbot stopped during this run' });
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dest)).filter((f) => f.startsWith('.opsbot-work-') || f.endsWith('.partial'))).toEqual([]);
  });

  it('given an unknown target, then backup commands say so', async () => {
    const res = await exec(tb, 'backup list nosuch');
    expect(res.text).toContain('No target named "nosuch"');
  });

  it('given a configured path that is missing, then the run fails naming it', async () => {
    await rm(path.join(app, 'backend'), { recursive: true });
    const res = await exec(tb, 'backup run linguamate config');
    expect(res.reply.status).toBe('fail');
    expect(res.text).toContain('missing in');
    expect(res.text).toContain('backend');
  });
});

describe('backup: destination that cannot be written', () => {
  it('given a destination under a file, when backup run, then the run is recorded as failed with the reason', async () => {
    const tmp = await tmpDir('opsbot-bk-eacces-');
    await writeFile(path.join(tmp.dir, 'blocker'), 'a file, not a folder');
    await mkdir(path.join(tmp.dir, 'src'));
    await writeFile(path.join(tmp.dir, 'src', 'a.txt'), 'a');
    const tb = await startTestBot({
      http: false,
      yaml: `
targets:
  t:
    backups: { kind: files, source: { dir: ${tmp.dir}/src }, destination: ${tmp.dir}/blocker/backups }
${ADMIN_RBAC}`,
    });
    try {
      const res = await exec(tb, 'backup run t');
      expect(res.reply.status).toBe('fail');
      expect(res.text).toContain('ENOTDIR');
      expect((await catalog(tb))[0]).toMatchObject({ status: 'failed' });
    } finally {
      await tb.stop();
      await tmp.cleanup();
    }
  });
});

/**
 * Off-site copies against a real S3 protocol server on loopback (npm `s3rver`) through the
 * router: each verified backup is uploaded and checked by size and the stored SHA-256 (not the
 * ETag), retention applies in the bucket too, `restore` fetches the copy when the local file is
 * gone and refuses a copy whose bytes differ, and wrong or missing credentials are clear errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, catalog, exec } from '../support/backup.js';
import { tmpDir } from '../support/host.js';
import { startS3, type S3Server } from '../support/s3.js';

const BUCKET = 'stormforge-backups';

describe('backup off-site copies (real S3 protocol server, s3rver)', () => {
  let s3: S3Server;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let app: string;
  let dest: string;

  const keys = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key as string).sort();
  const localFiles = async () => (await readdir(dest)).filter((n) => n.endsWith('.tar.gz')).sort();

  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    tmp = await tmpDir('opsbot-offsite-');
    app = path.join(tmp.dir, 'stormforge');
    dest = path.join(tmp.dir, 'backups');
    await mkdir(app, { recursive: true });
    await writeFile(path.join(app, 'config.yaml'), 'version: 1\n');
    const job = (name: string, keyEnv: string, extra = '') => `
      - name: ${name}
        kind: files
        source: { dir: ${app} }
        destination: ${dest}/${name}
        retention: { keepLast: 1 }
        offsite:
          endpoint: ${s3.endpoint}
          bucket: ${BUCKET}
          prefix: prod/${name}
          accessKeyIdEnv: ${keyEnv}
          secretAccessKeyEnv: OFFSITE_SECRET
          sse: AES256
          readBack: true
          retention: { keepLast: 2 }${extra}`;
    tb = await startTestBot({
      http: false,
      env: { OFFSITE_KEY: s3.accessKeyId, OFFSITE_SECRET: s3.secretAccessKey, OFFSITE_WRONG_KEY: 'AKIAWRONGWRONG' },
      yaml: `${ADMIN_RBAC}
targets:
  stormforge:
    backups:${job('config', 'OFFSITE_KEY')}${job('badkey', 'OFFSITE_WRONG_KEY')}${job('nokey', 'OFFSITE_UNSET')}
`,
    });
  }, 30_000);
  afterAll(async () => {
    await tb?.stop();
    await s3?.stop();
    await tmp?.cleanup();
  });

  describe('given a job with an offsite section', () => {
    it('when a backup runs, then the verified file is uploaded, its size and stored SHA-256 checked and read back, and backup list shows both copies', async () => {
      const r = await exec(tb, 'backup run stormforge config');
      expect(r.reply.status).toBe('ok');
      expect(r.text).toMatch(/off-site copy\s+\|?\s*ok/);
      expect(r.text).toContain('stored sha256');
      expect(r.text).toContain('read back and hashed');
      const [rec] = (await catalog(tb)).filter((x) => x.job === 'config');
      const key = `prod/config/stormforge/${path.basename(rec?.path as string)}`;
      expect(await keys()).toEqual([key]);
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.Metadata?.['opsbot-sha256']).toBe(rec?.checksum);
      const body = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
      expect(createHash('sha256').update(body).digest('hex')).toBe(rec?.checksum);
      expect(body).toEqual(await readFile(rec?.path as string));
      const list = await exec(tb, 'backup list stormforge');
      expect(list.text).toContain(`local + s3://${BUCKET}/${key}`);
    }, 30_000);

    it('when more backups run than the retentions keep, then local keeps 1, the bucket keeps 2, and the middle one lives off-site only', async () => {
      await writeFile(path.join(app, 'config.yaml'), 'version: 2\n');
      await exec(tb, 'backup run stormforge config');
      await writeFile(path.join(app, 'config.yaml'), 'version: 3\n');
      const third = await exec(tb, 'backup run stormforge config');
      expect(third.text).toMatch(/Off-site retention \(keep the last 2\) deleted 1 copy/);
      const recs = (await catalog(tb)).filter((x) => x.job === 'config');
      expect(recs).toHaveLength(2);
      expect(await localFiles()).toEqual([]); // files are in per-job folders
      expect((await readdir(path.join(dest, 'config'))).filter((n) => n.endsWith('.tar.gz'))).toHaveLength(1);
      expect(await keys()).toHaveLength(2);
      const list = await exec(tb, 'backup list stormforge');
      expect(list.text).toMatch(/s3:\/\/stormforge-backups\/prod\/config\/stormforge\/\S+ \S* ?only/);
    }, 60_000);

    it('when the local file is gone, then restore fetches the off-site copy, checks it and restores from it', async () => {
      const older = (await catalog(tb)).filter((x) => x.job === 'config').find((x) => x.localDeleted);
      expect(older).toBeDefined();
      const v = await exec(tb, `backup verify stormforge ${older?._id}`);
      expect(v.text).toContain('retention removed the local file; the off-site copy s3://stormforge-backups/');
      const r = await exec(tb, `restore stormforge ${older?._id}`);
      expect(r.reply.status).toBe('ok');
      expect(r.text).toContain('fetched from s3://stormforge-backups/');
      expect(await readFile(path.join(app, 'config.yaml'), 'utf8')).toBe('version: 2\n');
      expect((await exec(tb, 'backup list stormforge')).text).toContain('local + s3://');
    }, 60_000);

    it('when the copy in the bucket was replaced by other bytes, then restore refuses it and nothing is restored', async () => {
      const rec = (await catalog(tb)).filter((x) => x.job === 'config' && !x.safety).find((x) => x.offsite && !x.offsite.deletedAt) as NonNullable<Awaited<ReturnType<typeof catalog>>[number]>;
      await rm(rec.path);
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: rec.offsite?.key, Body: 'not the backup', Metadata: { 'opsbot-sha256': rec.checksum } }));
      await writeFile(path.join(app, 'config.yaml'), 'untouched\n');
      const r = await exec(tb, `restore stormforge ${rec._id}`);
      expect(r.reply.status).not.toBe('ok');
      expect(r.text).toMatch(/the download of s3:\/\/\S+ \(127\.0\.0\.1:\d+\) has sha256 \S+ \(14 bytes\), the backup .*not restored/);
      expect(await readFile(path.join(app, 'config.yaml'), 'utf8')).toBe('untouched\n');
    }, 30_000);
  });

  describe('given wrong or missing credentials', () => {
    it('when the access key is not one the server knows, then the run reports the off-site copy failed, and the local backup stays', async () => {
      const r = await exec(tb, 'backup run stormforge badkey');
      expect(r.reply.status).not.toBe('ok');
      expect(r.text).toContain('refused the credentials');
      expect(r.text).toContain('InvalidAccessKeyId');
      expect(r.text).not.toContain('AKIAWRONGWRONG');
      expect((await exec(tb, 'backup list stormforge')).text).toMatch(/local \(off-site copy FAILED/);
      expect((await keys()).some((k) => k.startsWith('prod/badkey/'))).toBe(false);
    }, 30_000);

    it('when the key variable is not set, then the step names the variable', async () => {
      const r = await exec(tb, 'backup run stormforge nokey');
      expect(r.text).toContain('the environment variable OFFSITE_UNSET (offsite.accessKeyIdEnv of backup job nokey) is not set');
    }, 30_000);
  });
});

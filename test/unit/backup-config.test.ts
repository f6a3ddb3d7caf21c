import { describe, expect, it } from '@jest/globals';
import { parseConfigText, ConfigError } from '../../src/config/load.js';
import { expiredBackups, describePolicy } from '../../src/ops/backup/retention.js';
import { assertBackupId, backupFilePath, isBackupId, isInside, newBackupId } from '../../src/ops/backup/paths.js';
import { pgConnection } from '../../src/ops/backup/postgres.js';
import { checkArchive } from '../../src/ops/backup/mongodb.js';
import { BsonSplitter } from '../../src/ops/backup/bson-stream.js';
import type { BackupRecord } from '../../src/ops/backup/types.js';
import { BSON } from 'mongodb';

const DAY = 86_400_000;
const now = new Date('2026-11-24T12:00:00Z');
const rec = (id: string, daysAgo: number): BackupRecord => ({
  _id: id, target: 't', job: 'db', kind: 'sqlite', path: `/b/${id}`, size: 1, checksum: 'x', compression: 'gzip',
  startedAt: new Date(now.getTime() - daysAgo * DAY), status: 'ok', verified: true,
});

describe('retention', () => {
  const all = [rec('a', 0), rec('b', 1), rec('c', 5), rec('d', 8), rec('e', 40)];
  it('given no rule, then nothing is deleted', () => {
    expect(expiredBackups(all, {}, now)).toEqual([]);
  });
  it('given keepDays 7, then backups of 7 days and older go', () => {
    expect(expiredBackups(all, { keepDays: 7 }, now).map((r) => r._id)).toEqual(['d', 'e']);
  });
  it('given keepLast 2, then all but the two newest go, whatever their order in the input', () => {
    expect(expiredBackups([...all].reverse(), { keepLast: 2 }, now).map((r) => r._id)).toEqual(['c', 'd', 'e']);
  });
  it('given both, then a backup is kept when either rule keeps it', () => {
    expect(expiredBackups(all, { keepDays: 2, keepLast: 3 }, now).map((r) => r._id)).toEqual(['d', 'e']);
    expect(expiredBackups(all, { keepDays: 30, keepLast: 1 }, now).map((r) => r._id)).toEqual(['e']);
  });
  it('given a protected id, then it is never deleted', () => {
    expect(expiredBackups(all, { keepLast: 1 }, now, ['e']).map((r) => r._id)).toEqual(['b', 'c', 'd']);
  });
  it('describes the policy in words', () => {
    expect(describePolicy({ keepDays: 30, keepLast: 5 })).toBe('keep 30 days or the last 5');
    expect(describePolicy({})).toBe('keep everything');
  });
});

describe('backup ids and paths', () => {
  it('given a new id, then it matches the strict pattern', () => {
    const id = newBackupId('db', now);
    expect(id).toMatch(/^db-20261124-120000-[0-9a-f]{4}$/);
    expect(isBackupId(id)).toBe(true);
  });
  it.each(['../../etc/passwd', '/etc/passwd', 'db-20261124-120000-abcd/..', 'db-20261124-120000-abcd\n', 'x; rm -rf /', '$(id)', '', 'DB-20261124-120000-abcd', 'db-20261124-120000-ABCD'])('rejects %j', (s) => {
    expect(isBackupId(s)).toBe(false);
    expect(() => assertBackupId(s)).toThrow('is not a backup id');
  });
  it('builds file paths inside the destination', () => {
    expect(backupFilePath('/var/backups', 'web', 'db-20261124-120000-abcd', 'sqlite', true)).toBe('/var/backups/web_db-20261124-120000-abcd.sqlite.gz');
    expect(backupFilePath('/var/backups', 'web', 'db-20261124-120000-abcd', 'tar', false, true)).toBe('/var/backups/safety/web_db-20261124-120000-abcd.tar');
  });
  it('tells inside from outside', () => {
    expect(isInside('/b', '/b/x.gz')).toBe(true);
    expect(isInside('/b', '/b/safety/x.gz')).toBe(true);
    expect(isInside('/b', '/b')).toBe(false);
    expect(isInside('/b', '/b/../etc/passwd')).toBe(false);
    expect(isInside('/b', '/bb/x')).toBe(false);
  });
});

describe('postgres connection', () => {
  it('given a URL with a password, then the password goes to PGPASSWORD and not into --dbname', () => {
    const c = pgConnection('postgres://app:p%40ss%20word@db:5432/shop?sslmode=require');
    expect(c.env.PGPASSWORD).toBe('p@ss word');
    expect(c.dbname).toBe('postgres://app@db:5432/shop?sslmode=require');
    expect(c.label).toBe('app@db:5432/shop');
  });

  it('given the password as the URL\'s password parameter (libpq accepts it), then it too goes to PGPASSWORD and never into --dbname (argv, seen by ps on the host)', () => {
    const c = pgConnection('postgresql://app@db/shop?password=s3cr%26t+1&sslmode=require&options=-c%20search_path%3Dx');
    expect(c.env.PGPASSWORD).toBe('s3cr&t+1');
    expect(c.dbname).toBe('postgresql://app@db/shop?sslmode=require&options=-c%20search_path%3Dx');
    expect(c.dbname).not.toContain('s3cr');
  });
});

describe('BSON splitting', () => {
  it('given documents split across chunks at every byte, then each comes out whole', () => {
    const docs = [{ a: 1 }, { b: 'x'.repeat(300) }, { c: [1, 2, { d: null }] }];
    const bytes = Buffer.concat(docs.map((d) => Buffer.from(BSON.serialize(d))));
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const s = new BsonSplitter();
      const out: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) for (const it of s.push(bytes.subarray(i, i + size))) if (it.kind === 'doc') out.push(BSON.deserialize(it.raw));
      s.end();
      expect(out).toEqual(docs);
    }
  });
  it('given a stream cut short, then end() throws', () => {
    const s = new BsonSplitter();
    s.push(Buffer.from(BSON.serialize({ a: 1 })).subarray(0, 6));
    expect(() => s.end()).toThrow('stream ends inside a BSON document');
  });
  it('given a mongodump archive with a bad magic number, then it is refused', () => {
    expect(() => checkArchive(Buffer.from('not an archive'))).toThrow('bad magic number');
  });
});

describe('backup config', () => {
  const base = (backups: string) => `targets:\n  t:\n    backups:\n${backups}`;
  it('given one job as an object, then it becomes a list with the kind as its name and defaults applied', () => {
    const cfg = parseConfigText(base('      kind: sqlite\n      source: /data/app.db\n      destination: /backups\n'), 'x', {});
    expect(cfg.targets.t!.backups).toEqual([expect.objectContaining({ name: 'sqlite', kind: 'sqlite', compression: 'gzip', compressionLevel: 6, timeout: 1_800_000, retention: {} })]);
  });
  it('given credentials from the environment, then they are substituted', () => {
    const cfg = parseConfigText(base('      kind: postgres\n      source: postgres://app:${PGPASS}@db/shop\n      destination: /b\n'), 'x', { PGPASS: 'pw' });
    expect(cfg.targets.t!.backups[0]).toMatchObject({ source: 'postgres://app:pw@db/shop' });
  });
  it('given a backup-fresh check on a target without backups, then the config is refused', () => {
    expect(() => parseConfigText('targets:\n  t:\n    health:\n      - backup-fresh: {}\n', 'x', {})).toThrow('targets.t.health[0].backup-fresh: This target has no backups configured');
  });
  it.each([
    ['relative destination', '      kind: sqlite\n      source: /a.db\n      destination: backups\n', 'targets.t.backups[0].destination: Must be an absolute path'],
    ['a files path climbing out', '      kind: files\n      source: { dir: /srv/app, paths: [../etc] }\n      destination: /b\n', 'stays inside it'],
    ['an unknown kind', '      kind: redis\n      source: x\n      destination: /b\n', 'targets.t.backups'],
    ['a non-postgres URL', '      kind: postgres\n      source: mysql://x/y\n      destination: /b\n', 'Must be a postgres:// or postgresql:// URL'],
    ['two jobs with one name', '      - { kind: sqlite, source: /a.db, destination: /b }\n      - { kind: sqlite, source: /c.db, destination: /b }\n', 'Two backups named "sqlite"'],
    ['a files destination inside its source', '      kind: files\n      source: { dir: /srv/app }\n      destination: /srv/app/backups\n', 'must not be inside source.dir'],
    ['a backup-fresh check naming an unknown job', '      kind: sqlite\n      source: /a.db\n      destination: /b\n    health:\n      - backup-fresh: { job: nope }\n', 'targets.t.health[0].backup-fresh.job: No backup named "nope" (backups: sqlite)'],
    ['keepLast 0', '      kind: sqlite\n      source: /a.db\n      destination: /b\n      retention: { keepLast: 0 }\n', 'keepLast'],
  ])('given %s, then the config is refused with its path', (_name, yaml, message) => {
    let err: unknown;
    try { parseConfigText(base(yaml), 'x', {}); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(message);
  });
});

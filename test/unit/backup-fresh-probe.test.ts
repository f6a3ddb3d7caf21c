import { describe, expect, it } from '@jest/globals';
import { backupFreshProbe } from '../../src/ops/probes/backup-fresh.js';
import type { BackupFreshness } from '../../src/ops/backup/catalog.js';
import type { BackupRecord } from '../../src/ops/backup/types.js';

const HOUR = 3_600_000;

/** A catalog stand-in: the newest verified backup of each job, by age in hours (undefined: none). */
function catalogWith(ages: Record<string, number | undefined>): BackupFreshness & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    jobsOf: () => Object.keys(ages),
    async latestVerified(target, job) {
      asked.push(`${target}/${job}`);
      const age = ages[job];
      return age === undefined ? null : ({ _id: `${job}-20261124-000000-abcd`, startedAt: new Date(Date.now() - age * HOUR) } as BackupRecord);
    },
  };
}

const ctx = (backups?: BackupFreshness) => ({ signal: new AbortController().signal, timeoutMs: 1000, target: 'app', ...(backups ? { services: { backups } } : {}) });

describe('backup-fresh probe', () => {
  it('given every job backed up within maxAge, then ok with the ages', async () => {
    const out = await backupFreshProbe({ maxAge: 26 * HOUR }, ctx(catalogWith({ db: 2, files: 20 })));
    expect(out.status).toBe('ok');
    expect(out.detail).toMatch(/^db: db-20261124-000000-abcd 2h\d*m? old; files: files-20261124-000000-abcd 20h/);
  });
  it('given one job older than maxAge, then fail naming the limit', async () => {
    const out = await backupFreshProbe({ maxAge: 26 * HOUR }, ctx(catalogWith({ db: 2, files: 30 })));
    expect(out.status).toBe('fail');
    expect(out.detail).toContain('(limit 1d2h)');
  });
  it('given an age past warnAge only, then warn', async () => {
    const out = await backupFreshProbe({ maxAge: 26 * HOUR, warnAge: 24 * HOUR }, ctx(catalogWith({ db: 25 })));
    expect(out.status).toBe('warn');
  });
  it('given no verified backup, then fail', async () => {
    const out = await backupFreshProbe({ maxAge: HOUR }, ctx(catalogWith({ db: undefined })));
    expect(out).toMatchObject({ status: 'fail', detail: 'db: no verified backup' });
  });
  it('given job, then only that job is asked about', async () => {
    const cat = catalogWith({ db: 1, files: 100 });
    const out = await backupFreshProbe({ maxAge: 2 * HOUR, job: 'db' }, ctx(cat));
    expect(out.status).toBe('ok');
    expect(cat.asked).toEqual(['app/db']);
  });
  it('given no catalog wired, then fail with a clear reason', async () => {
    const out = await backupFreshProbe({ maxAge: HOUR }, ctx());
    expect(out).toMatchObject({ status: 'fail', detail: 'the backup catalog is not available to this check' });
  });
});

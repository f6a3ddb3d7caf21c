/**
 * Log files on the bot's host through the router: `log-count` checks and `logs --file` over a
 * real folder with a live file, a rotated `.1` and a gzipped `.2.gz` (read with the host's real
 * find, tail and gzip), text lines timed by a regex and JSON lines timed by a field.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, exec } from '../support/backup.js';
import { tmpDir } from '../support/host.js';
import { logTargetYaml, writeLogFolder } from '../support/log-files.js';

describe('log files on this host', () => {
  let tb: TestBot;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir('opsbot-logfiles-'));
    await writeLogFolder(dir);
    tb = await startTestBot({
      yaml: `${ADMIN_RBAC}
targets:
  ferritedb:
${logTargetYaml(dir)}
  missing:
    logFiles:
      - { path: "${dir}/nothing-here/app.log", timestamp: { regex: '^(\\S+)' } }
    health:
      - log-count: { files: "${dir}/nothing-here/app.log", pattern: ERROR, window: 1h, failAt: 1 }
`,
    });
  }, 30_000);
  afterAll(async () => {
    await tb?.stop();
    await cleanup?.();
  });

  describe('given log-count checks over the files', () => {
    it('when health runs, then each counts by the lines\' own time, reading rotated and gzipped copies only for a window that reaches them', async () => {
      const r = await exec(tb, 'health ferritedb');
      const byName = (n: string) => r.text.split('\n').find((l) => l.includes(n)) ?? '';
      expect(byName('errors last hour')).toMatch(/3 lines with \/ERROR\/i in the last 1h/);
      expect(byName('errors last hour')).toMatch(/1 file read/);
      expect(byName('errors last two days')).toMatch(/9 lines with \/ERROR\/i in the last 2d/);
      expect(byName('errors last two days')).toMatch(/3 files read/);
      expect(byName('json errors')).toMatch(/2 lines with level=ERROR in the last 1h/);
      expect(byName('slow queries')).toMatch(/3 lines with duration_ms > 1000/);
      expect(r.reply.status).toBe('fail'); // slow queries: 3 ≥ failAt 2
    });

    it('when the folder does not exist, then the check says no file was in the window and counts 0', async () => {
      const r = await exec(tb, 'health missing');
      expect(r.text).toMatch(/0 lines .* no file in the window/);
      expect(r.reply.status).toBe('ok');
    });
  });

  describe('given logs --file', () => {
    it('when the newest lines are asked for, then they come from the live file, secrets redacted', async () => {
      const r = await exec(tb, 'logs ferritedb --file app --lines 3');
      expect(r.reply.status).toBe('info');
      expect(r.text).toContain('request ok');
      expect(r.text).toContain('disk full');
      expect(r.text).not.toContain('hunter2');
      expect(r.text).not.toContain('yesterday');
    });

    it('when more lines are asked for than the live file has, then the rotated and gzipped copies follow in order', async () => {
      const r = await exec(tb, 'logs ferritedb --file app --lines 100');
      const text = r.text;
      expect(text.indexOf('yesterday 0')).toBeGreaterThan(-1);
      expect(text.indexOf('yesterday 3')).toBeLessThan(text.indexOf('old one'));
      expect(text.indexOf('old two')).toBeLessThan(text.indexOf('started'));
      expect(text).not.toContain('not a log of the source');
    });

    it('when --grep and --since filter, then only matching lines of the window are shown', async () => {
      const r = await exec(tb, 'logs ferritedb --file app --grep timeout --since 2h');
      expect(r.text).toMatch(/2 matching lines of \d+ scanned/);
      expect(r.text).not.toContain('old one');
    });

    it('when a source name is not configured, then it is refused with the names there are, and no path from chat is read', async () => {
      const r = await exec(tb, 'logs ferritedb --file /etc/passwd');
      expect(r.reply.status).toBe('fail');
      expect(r.text).toContain('has no log source "/etc/passwd" (logFiles: app, ferritedb)');
    });

    it('when a target with only log files has several sources and no --file is given, then it is asked which one', async () => {
      const r = await exec(tb, 'logs ferritedb');
      expect(r.text).toContain('choose one with --file (app, ferritedb)');
    });

    it('when --dry-run is given, then it says which files on which host it would read', async () => {
      const r = await exec(tb, 'logs ferritedb --file ferritedb --dry-run');
      expect(r.text).toContain(`${dir}/ferritedb.log (and rotated copies) on this host`);
    });
  });
});

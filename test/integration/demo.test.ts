/**
 * `opsbot demo` as a new user runs it: a real process (tsx src/cli.ts demo) with its own data
 * folder and port, the banner's commands typed on its stdin, and each checked for the work it did
 * outside the bot — the SQLite file of the app, the backup file, the app's PID under supervisord,
 * the alert group in the bot's store — not only for its reply.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeWithServers, freePort, tmpDir } from '../support/servers.js';
import { startBotProcess, type RunningBot } from '../support/process.js';

describeWithServers(['supervisord', 'supervisorctl'], 'opsbot demo (a real process on a local app under supervisord)', () => {
  let data: { dir: string; cleanup: () => Promise<void> };
  let bot: RunningBot;
  let appPort: number;
  let botPort: number;
  let seen = 0;
  const demoDir = () => path.join(data.dir, 'demo');

  /**
   * Types a line and waits for `re` in the output that follows it; returns that output up to the
   * end of the match (`text`) and the match.
   */
  async function type(line: string, re: RegExp, timeoutMs = 20_000): Promise<{ text: string; match: RegExpExecArray }> {
    const from = bot.stdout().length;
    seen = from;
    bot.send(line);
    await bot.waitForOutput({ test: (s: string) => re.test(s.slice(from)) } as RegExp, timeoutMs);
    const after = bot.stdout().slice(from);
    const match = re.exec(after) as RegExpExecArray;
    return { text: after.slice(0, match.index + match[0].length), match };
  }

  const user = (email: string) => {
    const db = new Database(path.join(demoDir(), 'shop.db'), { readonly: true });
    try {
      return db.prepare('SELECT loginAttempts, lockedAt FROM users WHERE email = ?').get(email) as { loginAttempts: number; lockedAt: string | null };
    } finally {
      db.close();
    }
  };
  const appPid = async () => ((await (await fetch(`http://127.0.0.1:${appPort}/health`)).json()) as { pid: number }).pid;

  beforeAll(async () => {
    data = await tmpDir('opsbot-demo-');
    botPort = await freePort();
    bot = startBotProcess(['demo'], { OPSBOT_DATA_DIR: data.dir, PORT: String(botPort), LOG_LEVEL: 'warn' });
    const banner = await bot.waitForOutput(/Ctrl-C stops the bot and the app/, 30_000);
    appPort = Number(/app: http:\/\/127\.0\.0\.1:(\d+)\/health \(under supervisord\)/.exec(banner)?.[1]);
  }, 40_000);

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await data?.cleanup();
  });

  describe('given the demo started on a fresh data folder', () => {
    it('then the banner names the app, its database, its log and the commands to try', () => {
      expect(appPort).toBeGreaterThan(0);
      for (const part of ['health shop', 'backup run shop', 'user unlock shop carol@shop.test', 'approve <id> --as bob', 'demo alert', 'oncall', 'runbook shop-errors shop']) {
        expect(bot.stdout()).toContain(part);
      }
      expect(existsSync(path.join(demoDir(), 'opsbot.yaml'))).toBe(true);
    });

    it('when health shop runs, then the app, its database and the machine are checked for real', async () => {
      const out = (await type('health shop', /Health: shop[\s\S]*?ref [0-9a-f]{12}/)).text;
      expect(out).toMatch(/shop\s+http\s+ok\s+HTTP 200/);
      expect(out).toMatch(/database\s+ok\s+.*integrity_check ok/);
      expect(out).toMatch(/locked users\s+warn\s+locked accounts 2/);
    });

    it('when user locked and user unlock run, then carol is unlocked in the SQLite file', async () => {
      expect(user('carol@shop.test')).toMatchObject({ loginAttempts: 7 });
      const locked = (await type('user locked shop', /Locked users on shop[\s\S]*?ref [0-9a-f]{12}/)).text;
      expect(locked).toContain('carol@shop.test');
      expect(locked).toContain('dave@shop.test');
      await type('user unlock shop carol@shop.test', /User unlocked: carol@shop\.test[\s\S]*?ref [0-9a-f]{12}/);
      expect(user('carol@shop.test')).toEqual({ loginAttempts: 0, lockedAt: null });
    });

    it('when backup run, verify and restore run, then the file exists, verifies, and the restore puts the data back', async () => {
      const run = await type('backup run shop', /Backup:\s+(db-\d{8}-\d{6}-[0-9a-f]{4})[\s\S]*?ref [0-9a-f]{12}/, 30_000);
      const id = run.match[1] as string;
      expect(existsSync(path.join(demoDir(), 'backups', `shop_${id}.sqlite.gz`))).toBe(true);
      const verify = (await type(`backup verify shop ${id}`, /Verification of shop[\s\S]*?ref [0-9a-f]{12}/)).text;
      expect(verify).toMatch(/restore test\s+ok\s+integrity_check ok/);
      await type('user unlock shop dave@shop.test', /User unlocked: dave@shop\.test[\s\S]*?ref [0-9a-f]{12}/);
      expect(user('dave@shop.test').loginAttempts).toBe(0);
      await type(`restore shop ${id}`, /Restore[\s\S]*?ref [0-9a-f]{12}/, 30_000);
      expect(user('dave@shop.test').loginAttempts).toBe(5);
      expect(user('carol@shop.test').loginAttempts).toBe(0);
    }, 60_000);

    it('when restart shop is asked, then it waits for bob, and after `approve <id> --as bob` the app runs with a new PID', async () => {
      const before = await appPid();
      const held = await type('restart shop', /Approval requested: (\w+)/);
      const request = held.match[1] as string;
      expect(await appPid()).toBe(before);
      const self = (await type(`approve ${request}`, /ref [0-9a-f]{12}/)).text;
      expect(self).toContain('someone else must approve it');
      await type(`approve ${request} --as bob`, /running and healthy again/, 40_000);
      expect(await appPid()).not.toBe(before);
    }, 60_000);

    it('when logs shop --grep ERROR runs, then the app\'s error lines come from its supervisord log', async () => {
      const out = (await type('logs shop --grep ERROR', /payment provider timeout[\s\S]*?ref [0-9a-f]{12}/)).text;
      expect(out).toContain('account locked');
      expect(out).not.toContain('listening on');
    });

    it('when demo alert runs, then a real webhook opens a group that `ack` acknowledges', async () => {
      const sent = await type('demo alert', /Demo alert sent: ShopErrors[\s\S]*?Group:\s+([0-9a-f]{4,})/);
      const id = sent.match[1] as string;
      expect(bot.stdout().slice(seen)).toContain('→ 200');
      await type(`ack ${id}`, new RegExp(`[Aa]cknowledged[\\s\\S]*?ref [0-9a-f]{12}`));
      const shown = (await type(`alerts ${id}`, new RegExp(`alert ${id} · receiver opsbot`))).text;
      expect(shown).toContain('ACKNOWLEDGED by console:alice');
    });

    it('when oncall, jobs and the runbook run, then they answer from the demo config', async () => {
      expect((await type('oncall', /On call now[\s\S]*?ref [0-9a-f]{12}/)).text).toMatch(/primary\s+(alice|bob)/);
      expect((await type('jobs', /Scheduled jobs[\s\S]*?ref [0-9a-f]{12}/)).text).toContain('nightly-backup');
      const started = await type('runbook shop-errors shop', /started: run ([0-9a-f]{8})/);
      const run = started.match[1] as string;
      await bot.waitForOutput(/Runbook shop-errors · shop — done/, 30_000);
      expect((await type(`runbook show ${run}`, /ref [0-9a-f]{12}/)).text).toMatch(/4\s+backup verify shop\s+✓ ok/);
    }, 60_000);
  });

  describe('given the demo running', () => {
    it('when it gets SIGTERM, then it exits 0 and its supervisord and app are gone', async () => {
      const pid = await appPid();
      const supervisord = Number(readFileSync(path.join(demoDir(), 'supervisor', 'supervisord.pid'), 'utf8'));
      expect(await bot.stop('SIGTERM')).toBe(0);
      const alive = (p: number) => { try { process.kill(p, 0); return true; } catch { return false; } };
      expect([alive(pid), alive(supervisord)]).toEqual([false, false]);
    }, 30_000);
  });
});

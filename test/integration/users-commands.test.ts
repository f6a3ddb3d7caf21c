import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestBot, type TestBot } from '../support/bot.js';
import { tmpDir } from '../support/servers.js';
import { SEED } from '../support/user-directory-contract.js';
import type { Reply } from '../../src/core/reply.js';

/** A bot with PixelForge's account rules over a SQLite users table (StormForge-style disable / enable). */
describe('user commands through the router', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let file: string;
  let bot: TestBot;

  const seed = () => {
    const db = new Database(file);
    db.exec(`drop table if exists users; create table users (id integer primary key, email text, username text, role text,
      loginAttempts integer, accountLocked integer, lockUntil text, disabled integer, disabledAt text)`);
    const ins = db.prepare('insert into users values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const u of SEED) ins.run(u.id, u.email, u.username, u.role, u.loginAttempts, u.accountLocked ? 1 : 0, u.lockUntil?.toISOString() ?? null, u.disabled === null ? null : 1, u.disabledAt?.toISOString() ?? null);
    db.close();
  };
  const row = (id: number) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('select * from users where id = ?').get(id) as Record<string, unknown>;
    } finally {
      db.close();
    }
  };
  const run = async (line: string): Promise<Reply> => (await bot.bot.router.handle({ subject: bot.bot.consoleSubject, surface: 'console', line })).reply;
  const text = (r: Reply) => JSON.stringify(r);

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-users-cmd-');
    file = path.join(tmp.dir, 'pixelforge.db');
    seed();
    bot = await startTestBot({
      http: false,
      yaml: `
targets:
  pixelforge:
    environment: production
    users:
      sql: { path: "${file}", table: users }
      lookup: [email, username]
      show: [role]
      locked:
        any:
          - { field: loginAttempts, op: gte, value: 5 }
          - { field: accountLocked, value: true }
      unlock: { set: { accountLocked: false, loginAttempts: 0, lockUntil: null } }
      disable: { set: { disabled: true, disabledAt: $now } }
      enable: { unset: [disabled, disabledAt] }
  web: {}
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:operator": [admin] }
`,
    });
  });
  beforeEach(() => seed());
  afterAll(async () => {
    await bot?.stop();
    await tmp?.cleanup();
  });

  it('given a locked user, when "user unlock" runs, then the reply shows before/after of the changed fields', async () => {
    const r = await run('user unlock pixelforge alice@example.com');
    expect(r.status).toBe('ok');
    expect(r.title).toBe('User unlocked: alice@example.com / alice on pixelforge');
    const tableBlock = r.blocks.find((b) => b.type === 'table');
    expect(tableBlock).toEqual({ type: 'table', columns: ['Field', 'Before', 'After'], rows: [
      ['accountLocked', '1', '0'],
      ['loginAttempts', '7', '0'],
      ['lockUntil', '2031-05-01T10:00:00.000Z', 'null'],
    ] });
    expect(row(1)).toMatchObject({ loginAttempts: 0, accountLocked: 0, lockUntil: null });
  });

  it('given --dry-run, then it says exactly which fields would change for whom, and changes nothing', async () => {
    const r = await run('user unlock pixelforge alice --dry-run');
    expect(r.status).toBe('info');
    expect(r.blocks[0]).toEqual({ type: 'text', text: expect.stringContaining('Would unlock alice@example.com / alice on pixelforge (SQLite table users in') });
    expect(text(r)).toContain('accountLocked 1 → 0, loginAttempts 7 → 0, lockUntil 2031-05-01T10:00:00.000Z → null');
    expect(text(r)).toContain('Nothing was done');
    expect(row(1)).toMatchObject({ loginAttempts: 7, accountLocked: 1 });
  });

  it('given an unknown user, then a clear message and nothing changed; the dry run says so too', async () => {
    const r = await run('user disable pixelforge nobody');
    expect(r.status).toBe('fail');
    expect(text(r)).toContain('No user \\"nobody\\" on pixelforge');
    expect(text(r)).toContain('Nothing was changed');
    const dry = await run('user disable pixelforge nobody --dry-run');
    expect(text(dry)).toContain('Would change nothing: No user \\"nobody\\"');
  });

  it('given injection attempts in the user and the target, then they are data: no user / no target, table intact', async () => {
    for (const line of [
      `user unlock pixelforge "a'; DROP TABLE users; --x"`,
      `user unlock pixelforge '{"$gt": ""}'`,
      'user disable pixelforge "$(id)"',
      'user disable pixelforge "carol\nbob"',
    ]) {
      const r = await run(line);
      expect(r.status).toBe('fail');
      expect(text(r)).toContain('No user');
    }
    const badTarget = await run(`user locked "pixelforge; rm -rf /"`);
    expect(text(badTarget)).toContain('No target named');
    expect(row(1)).toMatchObject({ loginAttempts: 7 });
    expect(row(3)).toMatchObject({ disabled: null });
  });

  it('given a target without a user directory, then it says so', async () => {
    const r = await run('user unlock web alice');
    expect(text(r)).toContain('Target \\"web\\" has no user directory');
  });

  it('given disable then enable, then disabledAt is set and then removed', async () => {
    const d = await run('user disable pixelforge carol');
    expect(d.title).toBe('User disabled: carol@example.com / carol on pixelforge');
    expect(row(3).disabled).toBe(1);
    expect(typeof row(3).disabledAt).toBe('string');
    const again = await run('user disable pixelforge carol');
    expect(again.title).toBe('carol@example.com / carol is already disabled on pixelforge');
    const e = await run('user enable pixelforge carol');
    expect(e.status).toBe('ok');
    expect(row(3)).toMatchObject({ disabled: null, disabledAt: null });
  });

  it('given locked accounts, then "user locked" lists them with an Unlock all button', async () => {
    const r = await run('user locked pixelforge');
    expect(r.title).toBe('Locked users on pixelforge: 3');
    expect(r.status).toBe('warn');
    const t = r.blocks.find((b) => b.type === 'table') as { columns: string[]; rows: string[][] };
    expect(t.columns).toEqual(['email', 'username', 'role', 'loginAttempts', 'accountLocked']);
    expect(t.rows.map((x) => x[1])).toEqual(['alice', 'bob', 'mallory']);
    expect(r.buttons).toEqual([{ label: 'Unlock all', command: 'user unlock-all pixelforge', style: 'danger' }]);
  });

  it('given "user unlock-all", then the dry run lists every account and field; the run unlocks them all', async () => {
    const dry = await run('user unlock-all pixelforge --dry-run');
    expect(text(dry)).toContain('Would unlock 3 accounts on pixelforge');
    expect(text(dry)).toContain('bob@example.com / bob: loginAttempts 5 → 0');
    expect(text(dry)).toContain('Risk: dangerous');
    expect(row(2).loginAttempts).toBe(5);
    const r = await run('user unlock-all pixelforge');
    expect(r.title).toBe('Unlocked 3 accounts on pixelforge');
    for (const id of [1, 2, 5]) expect(row(id).loginAttempts).toBe(0);
    expect(row(4).loginAttempts).toBe(1);
    const none = await run('user unlock-all pixelforge');
    expect(none.title).toBe('No locked accounts on pixelforge');
  });

  it('given the registry, then the user commands carry their risks', () => {
    const risk = (n: string) => bot.bot.registry.get(n)?.risk;
    expect([risk('user unlock'), risk('user disable'), risk('user enable'), risk('user locked'), risk('user unlock-all')]).toEqual(['write', 'write', 'write', 'read', 'dangerous']);
  });
});

describe('user commands with many locked accounts', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let bot: TestBot;
  beforeAll(async () => {
    tmp = await tmpDir('opsbot-users-many-');
    const file = path.join(tmp.dir, 'many.db');
    const db = new Database(file);
    db.exec('create table accounts (uid integer primary key, login text, attempts integer)');
    const ins = db.prepare('insert into accounts (login, attempts) values (?, ?)');
    for (let i = 0; i < 130; i++) ins.run(`user${i}`, i < 120 ? 9 : 0);
    db.close();
    bot = await startTestBot({
      http: false,
      yaml: `
targets:
  big:
    users:
      sql: { path: "${file}", table: accounts, key: uid }
      lookup: login
      locked: { all: [ { field: attempts, op: gt, value: 3 } ] }
      unlock: { set: { attempts: 0 } }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:operator": [admin] }
`,
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await tmp?.cleanup();
  });
  const run = async (line: string): Promise<Reply> => (await bot.bot.router.handle({ subject: bot.bot.consoleSubject, surface: 'console', line })).reply;

  it('given 120 locked accounts, then lists and reports stay within chat limits, with counts', async () => {
    const list = await run('user locked big');
    expect(list.blocks[0]).toEqual({ type: 'text', text: expect.stringContaining('120 locked accounts (showing 50)') });
    expect((list.blocks[1] as { rows: string[][] }).rows).toHaveLength(50);
    const dry = await run('user unlock-all big --dry-run');
    expect(JSON.stringify(dry)).toContain('Would unlock 120 accounts on big');
    expect(JSON.stringify(dry)).toContain('…and 100 more');
    const done = await run('user unlock-all big');
    expect(done.title).toBe('Unlocked 120 accounts on big');
    expect(done.blocks[0]).toEqual({ type: 'fields', fields: expect.arrayContaining([{ label: 'Listed', value: '20 of 120' }]) });
    expect((done.blocks[1] as { rows: string[][] }).rows).toHaveLength(20);
    expect((await run('user locked big')).title).toBe('Locked users on big: 0');
  });
});

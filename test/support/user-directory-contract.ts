/**
 * One contract for every user-directory backend: the same PixelForge and StormForge procedures
 * and the same injection attempts, run against the embedded engine, a real MongoDB (MONGODB_URL),
 * a real PostgreSQL and SQLite files.
 */
import { afterEach, expect, it } from '@jest/globals';
import { userDirectorySchema } from '../../src/config/users-schema.js';
import { UserDirectory } from '../../src/ops/users/directory.js';
import type { UserBackend } from '../../src/ops/users/types.js';
import { UserError } from '../../src/core/errors.js';

export interface SeedUser {
  id: number;
  email: string;
  username: string;
  role: string;
  loginAttempts: number;
  accountLocked: boolean;
  lockUntil: Date | null;
  disabled: boolean | null;
  disabledAt: Date | null;
}

const LOCK_UNTIL = new Date('2031-05-01T10:00:00.000Z');
export const INJECTIONS = ["a'; DROP TABLE users; --", '{"$gt": ""}', '$(id)', 'alice@example.com\nbob@example.com', "' OR '1'='1", '*'];

export const SEED: SeedUser[] = [
  { id: 1, email: 'alice@example.com', username: 'alice', role: 'admin', loginAttempts: 7, accountLocked: true, lockUntil: LOCK_UNTIL, disabled: null, disabledAt: null },
  { id: 2, email: 'bob@example.com', username: 'bob', role: 'user', loginAttempts: 5, accountLocked: false, lockUntil: null, disabled: null, disabledAt: null },
  { id: 3, email: 'carol@example.com', username: 'carol', role: 'user', loginAttempts: 0, accountLocked: false, lockUntil: null, disabled: null, disabledAt: null },
  { id: 4, email: 'dave@example.com', username: 'dave', role: 'user', loginAttempts: 1, accountLocked: false, lockUntil: null, disabled: true, disabledAt: new Date('2026-01-02T03:04:05.000Z') },
  // A real account whose email is an injection string: it is found as plain data, and only it.
  { id: 5, email: "a'; DROP TABLE users; --", username: 'mallory', role: 'user', loginAttempts: 9, accountLocked: true, lockUntil: null, disabled: null, disabledAt: null },
  // Two accounts that share a name across lookup fields: ambiguous.
  { id: 6, email: 'erin', username: 'erin1', role: 'user', loginAttempts: 0, accountLocked: false, lockUntil: null, disabled: null, disabledAt: null },
  { id: 7, email: 'erin@example.com', username: 'erin', role: 'user', loginAttempts: 0, accountLocked: false, lockUntil: null, disabled: null, disabledAt: null },
];

/** PixelForge's procedures plus StormForge's disable / enable, as directory config. */
export const PIXELFORGE_USERS = {
  lookup: ['email', 'username'],
  show: ['role'],
  locked: { any: [{ field: 'loginAttempts', op: 'gte', value: 5 }, { field: 'accountLocked', value: true }] },
  unlock: { set: { accountLocked: false, loginAttempts: 0, lockUntil: null } },
  disable: { set: { disabled: true, disabledAt: '$now' } },
  enable: { unset: ['disabled', 'disabledAt'] },
};

export interface Fixture {
  backend: UserBackend;
  /** The stored record of a seed user by id, as plain fields. */
  read(id: number): Promise<Record<string, unknown> | undefined>;
  count(): Promise<number>;
  cleanup(): Promise<void>;
}

/** Creates a backend holding SEED, for the directory config given. */
export type FixtureFactory = (fields: string[]) => Promise<Fixture>;

const asBool = (v: unknown) => (v === 1 ? true : v === 0 ? false : v ?? null);
const asTime = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date).getTime());

export function userDirectoryContract(make: FixtureFactory): void {
  const NOW = new Date('2026-11-24T09:00:00.000Z');
  let fx: Fixture | undefined;
  afterEach(async () => { await fx?.cleanup(); fx = undefined; });

  async function directory(overrides: Record<string, unknown> = {}) {
    const cfg = userDirectorySchema.parse({ mongodb: { url: 'mongodb://unused', collection: 'users' }, ...PIXELFORGE_USERS, ...overrides });
    const fields = ['email', 'username', 'role', 'loginAttempts', 'accountLocked', 'lockUntil', 'disabled', 'disabledAt'];
    fx = await make(fields);
    return { dir: new UserDirectory('pixelforge', cfg, fx.backend, (t) => t, () => NOW), fx };
  }

  it('given a locked user, when unlocked by email, then exactly the unlock fields change, with before and after', async () => {
    const { dir, fx } = await directory();
    const r = await dir.apply('unlock', 'alice@example.com');
    expect(r.unchanged).toBe(false);
    expect(r.user).toBe('alice@example.com / alice');
    const byField = Object.fromEntries(r.changes.map((c) => [c.field, c]));
    expect(Object.keys(byField).sort()).toEqual(['accountLocked', 'lockUntil', 'loginAttempts']);
    expect(asBool(byField.accountLocked?.before)).toBe(true);
    expect(asBool(byField.accountLocked?.after)).toBe(false);
    expect(byField.loginAttempts).toMatchObject({ before: 7, after: 0 });
    expect(asTime(byField.lockUntil?.before)).toBe(LOCK_UNTIL.getTime());
    expect(byField.lockUntil?.after ?? null).toBeNull();
    const stored = await fx.read(1);
    expect(stored?.loginAttempts).toBe(0);
    expect(asBool(stored?.accountLocked)).toBe(false);
    expect(stored?.role).toBe('admin');
    expect((await fx.read(2))?.loginAttempts).toBe(5); // nobody else touched
  });

  it('given a user looked up by username, then it is found too; an unlocked user is reported unchanged', async () => {
    const { dir } = await directory();
    expect((await dir.plan('unlock', 'bob')).changes.map((c) => c.field)).toEqual(['loginAttempts']);
    const carol = await dir.apply('unlock', 'carol');
    expect(carol).toEqual({ user: 'carol@example.com / carol', changes: [], unchanged: true });
  });

  it('given a record with a password hash, then the directory reads only the configured fields', async () => {
    const { fx } = await directory();
    const rows = await fx.backend.findBy(['email'], 'alice@example.com', 2);
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]?.fields ?? {}).sort()).toEqual(['accountLocked', 'disabled', 'disabledAt', 'email', 'lockUntil', 'loginAttempts', 'role', 'username']);
    expect(JSON.stringify(rows)).not.toContain('secret-hash');
  });

  it('given an unknown user, then it says so clearly and nothing changes', async () => {
    const { dir, fx } = await directory();
    await expect(dir.apply('unlock', 'nobody@example.com')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('No user "nobody@example.com" on pixelforge (looked up by email, username') });
    expect((await fx.read(1))?.loginAttempts).toBe(7);
  });

  it('given a name two users answer to, then it refuses as ambiguous and changes nothing', async () => {
    const { dir } = await directory();
    await expect(dir.apply('disable', 'erin')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('given injection attempts as the user, then they are plain data: not found, or the one account with that literal email', async () => {
    const { dir, fx } = await directory();
    for (const attempt of INJECTIONS.slice(1)) {
      await expect(dir.apply('unlock', attempt)).rejects.toBeInstanceOf(UserError);
    }
    expect(await fx.count()).toBe(SEED.length);
    const r = await dir.apply('unlock', "a'; DROP TABLE users; --");
    expect(r.user).toBe("a'; DROP TABLE users; -- / mallory");
    expect((await fx.read(5))?.loginAttempts).toBe(0);
    expect((await fx.read(1))?.loginAttempts).toBe(7);
    expect(await fx.count()).toBe(SEED.length);
  });

  it('given StormForge disable, then disabled is set with the time; disabling again changes nothing; enable removes both', async () => {
    const { dir, fx } = await directory();
    const d = await dir.apply('disable', 'carol@example.com');
    expect(d.changes.map((c) => c.field).sort()).toEqual(['disabled', 'disabledAt']);
    const stored = await fx.read(3);
    expect(asBool(stored?.disabled)).toBe(true);
    expect(asTime(stored?.disabledAt)).toBe(NOW.getTime());
    expect((await dir.apply('disable', 'carol')).unchanged).toBe(true);
    const e = await dir.apply('enable', 'carol');
    expect(e.changes.map((c) => c.field).sort()).toEqual(['disabled', 'disabledAt']);
    const after = await fx.read(3);
    expect(after?.disabled ?? null).toBeNull();
    expect(after?.disabledAt ?? null).toBeNull();
    expect((await dir.apply('enable', 'carol')).unchanged).toBe(true);
  });

  it('given the locked rule, then locked lists alice, bob and mallory with the total', async () => {
    const { dir } = await directory();
    const { total, users } = await dir.listLocked();
    expect(total).toBe(3);
    expect(users.map((u) => u.user).sort()).toEqual(["a'; DROP TABLE users; -- / mallory", 'alice@example.com / alice', 'bob@example.com / bob']);
  });

  it('given an all-of rule, then only users matching every condition are locked', async () => {
    const { dir } = await directory({ locked: { all: [{ field: 'loginAttempts', op: 'gte', value: 5 }, { field: 'accountLocked', value: true }] } });
    expect((await dir.listLocked()).total).toBe(2);
  });

  it('given unlock-all, then the plan names each account and field, and the run unlocks exactly those', async () => {
    const { dir, fx } = await directory();
    const plan = await dir.planUnlockAll();
    expect(plan.total).toBe(3);
    expect(plan.users.find((u) => u.user.startsWith('bob'))?.changes.map((c) => c.field)).toEqual(['loginAttempts']);
    expect((await fx.read(1))?.loginAttempts).toBe(7); // planning wrote nothing
    const r = await dir.unlockAll();
    expect(r.count).toBe(3);
    expect(r.users).toHaveLength(3);
    for (const id of [1, 2, 5]) expect((await fx.read(id))?.loginAttempts).toBe(0);
    expect((await fx.read(4))?.loginAttempts).toBe(1);
    expect((await dir.listLocked()).total).toBe(0);
    expect((await dir.unlockAll()).count).toBe(0);
  });

  it('given maxBatch 2, then locked lists two of three but unlock-all still unlocks all three', async () => {
    const { dir } = await directory({ maxBatch: 2 });
    const list = await dir.listLocked();
    expect(list.total).toBe(3);
    expect(list.users).toHaveLength(2);
    expect((await dir.unlockAll()).count).toBe(3);
  });

  it('given a directory without a locked rule or a disable action, then those commands say what is missing', async () => {
    const { dir } = await directory({ locked: undefined, disable: undefined });
    await expect(dir.listLocked()).rejects.toMatchObject({ code: 'invalid', message: expect.stringContaining('users.locked') });
    await expect(dir.apply('disable', 'alice')).rejects.toMatchObject({ code: 'invalid', message: expect.stringContaining('no "disable" action') });
  });
}

/** Seed rows as MongoDB documents (string `_id`, absent fields left out like a real app would). */
export function seedDocuments(): Record<string, unknown>[] {
  return SEED.map((u) => {
    const doc: Record<string, unknown> = { _id: `u${u.id}`, passwordHash: 'secret-hash', id: u.id, email: u.email, username: u.username, role: u.role, loginAttempts: u.loginAttempts, accountLocked: u.accountLocked, lockUntil: u.lockUntil };
    if (u.disabled !== null) doc.disabled = u.disabled;
    if (u.disabledAt !== null) doc.disabledAt = u.disabledAt;
    return doc;
  });
}

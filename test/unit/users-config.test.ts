import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';

const PIXELFORGE = `
targets:
  pixelforge:
    users:
      mongodb: { url: "\${PIXELFORGE_MONGODB_URL}", collection: users }
      lookup: [email]
      show: [role, lastLogin]
      locked:
        any:
          - { field: loginAttempts, op: gte, value: 5 }
          - { field: accountLocked, value: true }
      unlock: { set: { accountLocked: false, loginAttempts: 0, lockUntil: null } }
      disable: { set: { active: false } }
      enable: { set: { active: true } }
`;

const STORMFORGE = `
targets:
  stormforge:
    users:
      mongodb: { url: "\${STORMFORGE_MONGODB_URL}", collection: users }
      lookup: [username, email]
      show: [role]
      disable: { set: { disabled: true, disabledAt: $now } }
      enable: { unset: [disabled, disabledAt] }
`;

const env = { PIXELFORGE_MONGODB_URL: 'mongodb://app:pw@db:27017/pixelforge-prod', STORMFORGE_MONGODB_URL: 'mongodb+srv://u:p@cluster.example.net/stormforge' };

describe('users config', () => {
  it('given the PixelForge and StormForge directories of the README, then both validate', () => {
    const pf = parseConfigText(PIXELFORGE, 'pf.yaml', env).targets.pixelforge?.users;
    expect(pf?.lookup).toEqual(['email']);
    expect(pf?.unlock?.set).toEqual({ accountLocked: false, loginAttempts: 0, lockUntil: null });
    expect(pf?.timeout).toBe(10_000);
    const sf = parseConfigText(STORMFORGE, 'sf.yaml', env).targets.stormforge?.users;
    expect(sf?.disable?.set.disabledAt).toBe('$now');
    expect(sf?.enable?.unset).toEqual(['disabled', 'disabledAt']);
  });

  it('given broken directories, then every problem is named with its key path', () => {
    const bad = `
targets:
  a:
    users:
      sql: { path: /x.db, url: "postgres://h/d", table: "users; drop" }
      mongodb: { url: "http://nope", collection: users }
      lookup: ["email'--"]
      unlock: { set: {} }
`;
    let message = '';
    try {
      parseConfigText(bad, 'bad.yaml', {});
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('targets.a.users.sql');
    expect(message).toContain('exactly one of url (PostgreSQL) or path (SQLite)');
    expect(message).toContain('table name');
    expect(message).toContain('targets.a.users.mongodb.url');
    expect(message).toContain('targets.a.users.lookup');
    expect(message).toContain('must set or unset at least one field');
  });

  it('given a SQL directory with dotted fields, then it is refused', () => {
    expect(() => parseConfigText(`
targets:
  a:
    users:
      sql: { path: /x.db, table: users }
      lookup: profile.email
      unlock: { set: { attempts: 0 } }
`, 'x.yaml', {})).toThrow(/no dotted paths/);
  });
});

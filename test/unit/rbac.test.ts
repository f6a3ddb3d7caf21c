import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { Rbac, unknownCommandPatterns } from '../../src/core/rbac.js';
import { People } from '../../src/core/people.js';
import { AlertTargets } from '../../src/core/alerts/targets.js';
import { defineCommand } from '../../src/core/command.js';
import { rbacSchema, configSchema } from '../../src/config/schema.js';
import { formatIssues } from '../../src/config/load.js';

const config = rbacSchema.parse({
  roles: {
    admin: { allow: ['*'] },
    operator: { allow: ['*'], deny: ['restore'] },
    oncall_staging: { allow: ['restart', 'health'], environments: ['staging'] },
    viewer: { allow: ['health', 'backup *'], targets: ['web'] },
  },
  subjects: {
    'slack:UADMIN': ['admin'],
    'slack:usergroup:SOPS': ['operator'],
    'discord:role:7': ['oncall_staging'],
    'slack:UVIEW': ['viewer'],
    'discord:user:42': ['viewer'],
  },
});
const ENV: Record<string, string> = { web: 'production', api: 'staging', db: 'production' };
const environmentOf = (t: string) => ENV[t];
const rbac = new Rbac(config);

describe('RBAC decisions', () => {
  it('given an unknown subject, then only help and whoami are allowed', () => {
    expect(rbac.decide({ id: 'slack:UNOBODY' }, 'help').allowed).toBe(true);
    expect(rbac.decide({ id: 'slack:UNOBODY' }, 'whoami').allowed).toBe(true);
    const d = rbac.decide({ id: 'slack:UNOBODY' }, 'health', { target: 'web' }, environmentOf);
    expect(d.allowed).toBe(false);
    expect(d.reason).toMatch(/has no role/);
    expect(d.needs).toEqual(expect.arrayContaining(['admin', 'operator', 'viewer']));
  });

  it('grants through a group subject and honours deny', () => {
    const member = { id: 'slack:U1', groups: ['slack:usergroup:SOPS'] };
    expect(rbac.decide(member, 'restart').allowed).toBe(true);
    const denied = rbac.decide(member, 'restore');
    expect(denied.allowed).toBe(false);
    expect(denied.needs).toEqual(['admin']);
  });

  it('scopes roles to environments and targets', () => {
    const m = { id: 'discord:user:1', groups: ['discord:role:7'] };
    expect(rbac.decide(m, 'restart', { target: 'api', environment: 'staging' }).allowed).toBe(true);
    expect(rbac.decide(m, 'restart', { target: 'api', environment: 'production' }).allowed).toBe(false);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'backup list', { target: 'web' }, environmentOf).allowed).toBe(true);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'backup list', { target: 'db' }, environmentOf).allowed).toBe(false);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'backup', { target: 'web' }, environmentOf).allowed).toBe(true);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'restart', { target: 'web' }, environmentOf).allowed).toBe(false);
  });

  it('given a call that names no target, then only a role without a target or environment limit may run it', () => {
    // viewer is limited to web, oncall_staging to staging: neither may run what names nothing
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'health').allowed).toBe(false);
    expect(rbac.decide({ id: 'x', groups: ['discord:role:7'] }, 'health', []).allowed).toBe(false);
    expect(rbac.decide({ id: 'slack:UADMIN' }, 'health', []).allowed).toBe(true);
    // an environment alone is reached by a role limited to that environment but not to targets
    expect(rbac.decide({ id: 'x', groups: ['discord:role:7'] }, 'health', { environment: 'staging' }).allowed).toBe(true);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'health', { environment: 'production' }).allowed).toBe(false);
  });

  it('given several touches, then every one must be reached', () => {
    const viewer = { id: 'slack:UVIEW' };
    expect(rbac.decide(viewer, 'health', [{ target: 'web' }], environmentOf).allowed).toBe(true);
    const d = rbac.decide(viewer, 'health', [{ target: 'web' }, { target: 'db' }], environmentOf);
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain('on web (production), db (production)');
  });

  it('given a target whose environment is unknown, then an environment-limited role does not reach it', () => {
    expect(rbac.decide({ id: 'x', groups: ['discord:role:7'] }, 'health', { target: 'nowhere' }, environmentOf).allowed).toBe(false);
  });

  it('builds an access that sees only the targets of the roles that grant the command', () => {
    const both = { id: 'slack:UVIEW', groups: ['discord:role:7'] };
    const health = rbac.accessFor(both, 'health', environmentOf);
    expect(['web', 'api', 'db'].filter((t) => health.canSee(t))).toEqual(['web', 'api']);
    // restart comes only from oncall_staging: web is not reached through viewer for it
    const restart = rbac.accessFor(both, 'restart', environmentOf);
    expect(['web', 'api', 'db'].filter((t) => restart.canSee(t))).toEqual(['api']);
    expect(health.allowsAll([])).toBe(false);
    expect(rbac.accessFor({ id: 'slack:UADMIN' }, 'health', environmentOf).allowsAll([])).toBe(true);
  });
});

describe('RBAC with people', () => {
  const people = new People({
    alice: { identities: ['slack:U0ALICE', 'discord:user:42'], roles: ['oncall_staging'], tz: 'Europe/Berlin' },
  });
  const withPeople = new Rbac(config, { people });

  it('gives a person the same roles on every surface: the person\'s own plus those of each identity', () => {
    const onSlack = withPeople.heldRoles({ id: 'slack:U0ALICE' });
    const onDiscord = withPeople.heldRoles({ id: 'discord:user:42' });
    expect(onSlack).toEqual([{ role: 'oncall_staging', from: ['person alice'] }, { role: 'viewer', from: ['discord:user:42'] }]);
    expect(onDiscord.map((h) => h.role)).toEqual(onSlack.map((h) => h.role));
  });

  it('adds the roles of the groups the surface reports, for that surface only', () => {
    expect(withPeople.rolesOf({ id: 'slack:U0ALICE', groups: ['slack:usergroup:SOPS'] })).toContain('operator');
    expect(withPeople.rolesOf({ id: 'discord:user:42' })).not.toContain('operator');
  });

  it('resolves the person from the identity and ignores a person the adapter claims', async () => {
    const cmd = defineCommand({ name: 'health', summary: '', params: [], schema: z.object({}), risk: 'read', targetOf: () => 'api', async run() { throw new Error('not run'); } });
    const auth = await withPeople.authorize({ id: 'discord:user:42', person: 'mallory' }, cmd, {}, environmentOf);
    expect(auth.subject.person).toBe('alice');
    expect(auth.allowed).toBe(true);
    const stranger = await withPeople.authorize({ id: 'discord:user:99', person: 'alice' }, cmd, {}, environmentOf);
    expect(stranger.subject.person).toBeUndefined();
    expect(stranger.allowed).toBe(false);
  });
});

describe('role command lists', () => {
  const commands = ['help', 'health', 'backup run', 'backup list', 'restore'].map((name) => ({ name }));

  it('accepts names and patterns that match a registered command', () => {
    expect(unknownCommandPatterns(rbacSchema.parse({ roles: { a: { allow: ['*', 'health', 'backup *'], deny: ['restore'] } } }), commands)).toEqual([]);
  });

  it('names every entry that matches no command, with its key path', () => {
    const problems = unknownCommandPatterns(rbacSchema.parse({ roles: { viewer: { allow: ['health', 'oncall'], deny: ['jobs *'] } } }), commands);
    expect(problems).toEqual([
      expect.stringMatching(/^rbac\.roles\.viewer\.allow\[1\]: "oncall" is not a command \(commands: help, health/),
      expect.stringMatching(/^rbac\.roles\.viewer\.deny\[0\]: "jobs \*" matches no command/),
    ]);
  });
});

describe('people config', () => {
  const parse = (people: unknown, rbac: unknown = { roles: { operator: { allow: ['*'] } } }) => {
    const r = configSchema.safeParse({ rbac, people });
    return r.success ? { ok: r.data.people } : { problems: formatIssues(r.error.issues) };
  };

  it('maps identities written as the surface shows them to subject ids', () => {
    expect(parse({ alice: { slack: 'U0ALICE', discord: '42', console: 'alice', email: 'alice@example.com', tz: 'Europe/Berlin', roles: ['operator'] } })).toEqual({
      ok: { alice: { identities: ['slack:U0ALICE', 'discord:user:42', 'console:alice'], email: 'alice@example.com', tz: 'Europe/Berlin', roles: ['operator'] } },
    });
    expect(parse({ bob: { slack: ['slack:U0BOB', 'W0BOB2'] } })).toEqual({ ok: { bob: { identities: ['slack:U0BOB', 'slack:W0BOB2'], roles: [] } } });
  });

  it('refuses an identity claimed by two people', () => {
    expect(parse({ alice: { slack: 'U0ALICE' }, mallory: { slack: 'slack:U0ALICE' } }).problems).toEqual(['people.mallory.slack: slack:U0ALICE is claimed by both "alice" and "mallory"']);
  });

  it('refuses a time zone that is not an IANA zone and an id that is not one of the surface', () => {
    expect(parse({ alice: { slack: 'U0ALICE', tz: 'Mars/Olympus' }, bob: { discord: 'bob#1234' } }).problems).toEqual([
      'people.alice.tz: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)',
      'people.bob.discord[0]: "bob#1234" is not a Discord user id (digits) (or discord:user:<id>)',
    ]);
  });

  it('refuses an unknown role and a person without identity', () => {
    expect(parse({ alice: { slack: 'U0ALICE', roles: ['wizard'] } }).problems).toEqual(['people.alice.roles[0]: Unknown role "wizard" (defined: operator)']);
    expect(parse({ carol: { email: 'carol@example.com' } }).problems).toEqual(['people.carol: Person "carol" has no identity: give slack, discord or console']);
  });

  it('checks person roles against the default admin role when there is no rbac section', () => {
    const parsed = configSchema.parse({ people: { alice: { console: 'alice', roles: ['admin'] } } });
    expect(parsed.people.alice?.roles).toEqual(['admin']);
    expect(() => configSchema.parse({ people: { alice: { console: 'alice', roles: ['operator'] } } })).toThrow(/Unknown role \\"operator\\" \(defined: admin\)/);
  });
});

describe('alert targets from labels', () => {
  const targets = new AlertTargets(['target', 'service', 'job', 'app', 'instance'], () => ['web', 'db']);
  const group = (common: Record<string, string>, ...alerts: Record<string, string>[]) => ({
    groupLabels: {}, commonLabels: common,
    alerts: alerts.map((labels) => ({ labels })) as never[],
  });

  it('names a configured target by value or by `target:port`, and ignores values that name none', () => {
    expect(targets.targetsOf(group({ instance: 'db:9100', job: 'node' }))).toEqual(['db']);
    expect(targets.touchesOf(group({}, { service: 'web' }, { target: 'db' }))).toEqual([{ target: 'web' }, { target: 'db' }]);
  });

  it('takes the environment label of an alert that names no target, else a touch only unlimited roles reach', () => {
    expect(targets.touchesOf(group({ env: 'staging', job: 'node' }))).toEqual([{ environment: 'staging' }]);
    expect(targets.touchesOf(group({ region: 'eu' }))).toEqual([{}]);
    expect(targets.touchesOf(group({}, { target: 'web' }, { region: 'eu' }))).toEqual([{ target: 'web' }, {}]);
  });

  it('uses only the configured labels', () => {
    const onlyTarget = new AlertTargets(['target'], () => ['web']);
    expect(onlyTarget.touchesOf(group({ service: 'web' }))).toEqual([{}]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { Rbac } from '../../src/core/rbac.js';
import { rbacSchema } from '../../src/config/schema.js';

const rbac = new Rbac(rbacSchema.parse({
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
  },
}));

describe('RBAC', () => {
  it('given an unknown subject, then only help is allowed', () => {
    expect(rbac.decide({ id: 'slack:UNOBODY' }, 'help').allowed).toBe(true);
    const d = rbac.decide({ id: 'slack:UNOBODY' }, 'health');
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
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'backup list', { target: 'web' }).allowed).toBe(true);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'backup list', { target: 'db' }).allowed).toBe(false);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'backup', { target: 'web' }).allowed).toBe(true);
    expect(rbac.decide({ id: 'slack:UVIEW' }, 'restart', { target: 'web' }).allowed).toBe(false);
  });
});

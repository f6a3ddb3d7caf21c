/**
 * Role-based access: subjects map to roles, roles allow commands (by name or `prefix *`) on
 * targets and environments. `help` is open to everyone; an unknown subject gets nothing else.
 */
import type { Config } from '../config/schema.js';
import type { Subject } from './command.js';

export interface RbacDecision {
  allowed: boolean;
  /** The roles that would allow this call (for the "needs role X" message). */
  needs: string[];
  reason: string;
}

export const ALWAYS_ALLOWED = new Set(['help']);

export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*' || pattern === value) return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1).trimEnd());
  return false;
}

export class Rbac {
  constructor(private readonly rbac: Config['rbac']) {}

  rolesOf(subject: Subject): string[] {
    const roles = new Set<string>();
    for (const id of [subject.id, ...(subject.groups ?? [])]) for (const r of this.rbac.subjects[id] ?? []) roles.add(r);
    return [...roles];
  }

  decide(subject: Subject, permission: string, scope: { target?: string | undefined; environment?: string | undefined } = {}): RbacDecision {
    if (ALWAYS_ALLOWED.has(permission)) return { allowed: true, needs: [], reason: 'open to everyone' };
    const held = this.rolesOf(subject);
    const fits = (roleName: string): boolean => {
      const role = this.rbac.roles[roleName];
      if (!role) return false;
      if (role.deny.some((p) => matchesPattern(p, permission))) return false;
      if (!role.allow.some((p) => matchesPattern(p, permission))) return false;
      if (scope.target && !role.targets.some((p) => matchesPattern(p, scope.target as string))) return false;
      if (scope.environment && !role.environments.some((p) => matchesPattern(p, scope.environment as string))) return false;
      return true;
    };
    const granting = held.find(fits);
    if (granting) return { allowed: true, needs: [], reason: `role ${granting}` };
    const needs = Object.keys(this.rbac.roles).filter(fits);
    const where = scope.target ? ` on ${scope.target}` : '';
    return {
      allowed: false,
      needs,
      reason: held.length
        ? `${subject.id} (roles: ${held.join(', ')}) may not run ${permission}${where}`
        : `${subject.id} has no role`,
    };
  }
}

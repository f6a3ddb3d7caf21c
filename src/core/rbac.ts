/**
 * Role-based access: subjects (and the people they belong to) map to roles, roles allow commands
 * (by name or `prefix *`) on targets and environments. `help` and `whoami` are open to everyone;
 * an unknown subject gets nothing else.
 *
 * It never fails open: a call is checked against every target it touches. A call that names a
 * target is checked on it; one that takes its targets from data (an alert group's labels) is
 * checked on each; one that may show every target (`health all`) runs with an `Access` that its
 * handler filters by; and one that says nothing about its targets needs a role without a target
 * or environment limit.
 */
import type { Config } from '../config/schema.js';
import type { Access, AnyCommand, Subject, Touch } from './command.js';
import { People, type Person } from './people.js';

export interface RbacDecision {
  allowed: boolean;
  /** The roles that would allow this call (for the "needs role X" message). */
  needs: string[];
  reason: string;
}

/** The router's verdict on one call: the decision, the subject with its person, and its scope. */
export interface Authorization extends RbacDecision {
  subject: Subject;
  /** The one target the call names, if any. */
  target?: string;
  /** What the call touches, in words, for the denial message: `on web`, `on alert targets db (production)`. */
  where: string;
  access: Access;
}

/** A role a subject holds, and every place it comes from: `person alice`, `slack:U123`, `slack:usergroup:S1`. */
export interface HeldRole {
  role: string;
  from: string[];
}

type RoleConfig = Config['rbac']['roles'][string];
type EnvironmentOf = (target: string) => string | undefined;

export const ALWAYS_ALLOWED = new Set(['help', 'whoami']);

/**
 * Open to everyone at the RBAC step like `help`, because their handlers decide who may: approving
 * needs an approver role that reaches the request (that role need not allow the command itself).
 */
export const SELF_AUTHORIZED = new Set(['approve', 'deny', 'approvals', 'approvals show', 'approvals cancel']);
const isOpen = (permission: string): boolean => ALWAYS_ALLOWED.has(permission) || SELF_AUTHORIZED.has(permission);

export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*' || pattern === value) return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1).trimEnd());
  return false;
}

/** A role without a target (or environment) limit lists `*`. */
export const unlimited = (patterns: readonly string[]): boolean => patterns.includes('*');

export function rolePermits(role: RoleConfig, permission: string): boolean {
  return !role.deny.some((p) => matchesPattern(p, permission)) && role.allow.some((p) => matchesPattern(p, permission));
}

/**
 * Does the role reach this touch? A target must match the role's targets and its environment
 * the role's environments; what a touch does not name (no target, an unknown environment) only
 * a role without that limit reaches.
 */
export function roleReaches(role: RoleConfig, touch: Touch, environmentOf: EnvironmentOf): boolean {
  const environment = touch.environment ?? (touch.target ? environmentOf(touch.target) : undefined);
  const targetOk = touch.target ? role.targets.some((p) => matchesPattern(p, touch.target as string)) : unlimited(role.targets);
  const environmentOk = environment ? role.environments.some((p) => matchesPattern(p, environment)) : unlimited(role.environments);
  return targetOk && environmentOk;
}

/** `db (production)`, `environment staging`, `something that names no target`. */
export function describeTouch(touch: Touch, environmentOf: EnvironmentOf): string {
  const environment = touch.environment ?? (touch.target ? environmentOf(touch.target) : undefined);
  if (touch.target) return `${touch.target}${environment ? ` (${environment})` : ''}`;
  if (environment) return `environment ${environment}`;
  return 'something that names no target';
}

const OPEN: RbacDecision = { allowed: true, needs: [], reason: 'open to everyone' };
const NO_ENVIRONMENT: EnvironmentOf = () => undefined;

/**
 * Consulted after a denial: the reason a call is allowed after all (`alice was paged for alert
 * a1b2`), or undefined. Grants only what it names (being paged grants `ack` / `escalate` of the
 * paged group).
 */
export type AccessGrant = (subject: Subject, permission: string, args: unknown) => Promise<string | undefined>;

export class Rbac {
  readonly people: People;
  private readonly grant: AccessGrant | undefined;

  constructor(private rbac: Config['rbac'], opts: { people?: People; grant?: AccessGrant } = {}) {
    this.people = opts.people ?? new People();
    this.grant = opts.grant;
  }

  /**
   * A reloaded config's roles, subjects and people (from an Rbac built and checked first): every
   * holder of this instance (router, approvals, whoami, the scheduler's checks) decides by them
   * from the next call on. The grant (being paged) stays.
   */
  adopt(next: Rbac): void {
    this.rbac = next.rbac;
    this.people.adopt(next.people);
  }

  /** Role names defined in config. */
  roleNames(): string[] {
    return Object.keys(this.rbac.roles);
  }

  role(name: string): RoleConfig | undefined {
    return this.rbac.roles[name];
  }

  /** The person of the subject (from its identity, never from what the adapter claims). */
  personOf(subject: Subject): Person | undefined {
    return this.people.personOf(subject.id);
  }

  /**
   * Every role the subject holds and where each comes from: its person's roles, the
   * `rbac.subjects` entries of each identity of that person (or of the subject alone when it
   * belongs to nobody) and of each group the surface reports (user groups, Discord roles).
   */
  heldRoles(subject: Subject): HeldRole[] {
    const out = new Map<string, string[]>();
    const add = (role: string, from: string) => {
      const list = out.get(role) ?? [];
      if (!list.includes(from)) list.push(from);
      out.set(role, list);
    };
    const person = this.personOf(subject);
    if (person) for (const r of person.roles) add(r, `person ${person.id}`);
    const identities = person ? [subject.id, ...person.identities.filter((i) => i !== subject.id)] : [subject.id];
    for (const id of [...identities, ...(subject.groups ?? [])]) for (const r of this.rbac.subjects[id] ?? []) add(r, id);
    return [...out].map(([role, from]) => ({ role, from }));
  }

  rolesOf(subject: Subject): string[] {
    return this.heldRoles(subject).map((h) => h.role);
  }

  /**
   * May the subject run `permission` on everything in `scope`? A touch (or a list of them, all
   * of which must be reached); no scope, or an empty list, is a call that names no target: only
   * a role without a target or environment limit may run it.
   */
  decide(subject: Subject, permission: string, scope: Touch | readonly Touch[] = {}, environmentOf: EnvironmentOf = NO_ENVIRONMENT): RbacDecision {
    if (isOpen(permission)) return { ...OPEN };
    const touches: readonly Touch[] = Array.isArray(scope) ? (scope.length ? scope : [{}]) : [scope as Touch];
    const fits = (roleName: string): boolean => {
      const role = this.rbac.roles[roleName];
      return Boolean(role && this.permits(roleName, permission) && touches.every((t) => roleReaches(role, t, environmentOf)));
    };
    return this.verdict(subject, permission, fits, touches.map((t) => describeTouch(t, environmentOf)));
  }

  /** The call's access: the roles held that permit `permission`, each within its own scope. */
  accessFor(subject: Subject, permission: string, environmentOf: EnvironmentOf): Access {
    if (isOpen(permission)) return { canSee: () => false, allowsAll: () => false };
    const granting = this.rolesOf(subject).filter((r) => this.permits(r, permission)).map((r) => this.rbac.roles[r] as RoleConfig);
    const allowsAll = (touches: readonly Touch[]): boolean => {
      const list = touches.length ? touches : [{}];
      return granting.some((role) => list.every((t) => roleReaches(role, t, environmentOf)));
    };
    return { canSee: (target) => allowsAll([{ target }]), allowsAll };
  }

  /** The router's check of one parsed call: its target, its touches, or the filter its handler applies. */
  async authorize(subject: Subject, command: AnyCommand, args: unknown, environmentOf: EnvironmentOf): Promise<Authorization> {
    const auth = await this.authorizeByRoles(subject, command, args, environmentOf);
    if (auth.allowed || !this.grant) return auth;
    const why = await this.grant(auth.subject, command.permission ?? command.name, args);
    return why ? { ...auth, allowed: true, needs: [], reason: why } : auth;
  }

  private async authorizeByRoles(subject: Subject, command: AnyCommand, args: unknown, environmentOf: EnvironmentOf): Promise<Authorization> {
    const permission = command.permission ?? command.name;
    const resolved = this.people.resolve(subject);
    const access = this.accessFor(resolved, permission, environmentOf);
    const target = command.targetOf?.(args as never);
    if (target) {
      return { ...this.decide(resolved, permission, { target }, environmentOf), subject: resolved, target, where: ` on ${target}`, access };
    }
    const touches = command.touches ? await command.touches(args as never) : [];
    if (touches === 'filtered') {
      // Runs if any held role permits the command anywhere; the handler shows only what `access` reaches.
      const decision = isOpen(permission) ? { ...OPEN } : this.verdict(resolved, permission, (r) => this.permits(r, permission), []);
      return { ...decision, subject: resolved, where: '', access };
    }
    const decision = this.decide(resolved, permission, touches, environmentOf);
    const where = touches.length ? ` on ${touches.map((t) => describeTouch(t, environmentOf)).join(', ')}` : '';
    return { ...decision, subject: resolved, where, access };
  }

  /** Does the role (by name) allow the permission, its scope aside? */
  permits(roleName: string, permission: string): boolean {
    const role = this.rbac.roles[roleName];
    return Boolean(role && rolePermits(role, permission));
  }

  private verdict(subject: Subject, permission: string, fits: (role: string) => boolean, where: string[]): RbacDecision {
    const held = this.rolesOf(subject);
    const granting = held.find(fits);
    if (granting) return { allowed: true, needs: [], reason: `role ${granting}` };
    const needs = Object.keys(this.rbac.roles).filter(fits);
    const on = where.length ? ` on ${where.join(', ')}` : '';
    return {
      allowed: false,
      needs,
      reason: held.length
        ? `${subject.id} (roles: ${held.join(', ')}) may not run ${permission}${on}`
        : `${subject.id} has no role`,
    };
  }
}

/**
 * Role `allow` / `deny` entries that name no registered command (a typo, or a command that does
 * not exist yet), as config problems with their key path. A `prefix *` entry must match one.
 */
export function unknownCommandPatterns(rbac: Config['rbac'], commands: readonly Pick<AnyCommand, 'name' | 'permission'>[]): string[] {
  const permissions = [...new Set(commands.map((c) => c.permission ?? c.name))];
  const problems: string[] = [];
  for (const [name, role] of Object.entries(rbac.roles)) {
    for (const key of ['allow', 'deny'] as const) {
      role[key].forEach((pattern, i) => {
        if (pattern === '*' || permissions.some((p) => matchesPattern(pattern, p))) return;
        const what = pattern.endsWith('*') ? `matches no command` : `is not a command`;
        problems.push(`rbac.roles.${name}.${key}[${i}]: "${pattern}" ${what} (commands: ${permissions.join(', ')})`);
      });
    }
  }
  return problems;
}

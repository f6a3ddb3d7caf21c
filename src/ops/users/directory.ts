/**
 * A target's user directory: finds one user by the configured lookup fields, plans and applies
 * the configured actions (unlock / disable / enable) with before/after of the fields they change,
 * lists locked accounts and unlocks them all. Knows nothing of chat; errors a person should read
 * are `UserError`s, database failures become `unavailable` with secrets removed.
 */
import { NOW, type FieldValue, type UserActionName, type UserDirectoryConfig } from '../../config/users-schema.js';
import { UserError, isUserError, withTimeout } from '../../core/errors.js';
import { safeError } from '../connection-url.js';
import type { BeforeAfter, ResolvedChange, UserBackend, UserRow } from './types.js';
import { sameValue } from './values.js';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface PlannedChange {
  /** How the user is named in messages: the lookup fields' values. */
  user: string;
  changes: FieldChange[];
}

export interface ActionResult extends PlannedChange {
  /** True when the user was already in that state and nothing was written. */
  unchanged: boolean;
}

export const PAST_TENSE: Record<UserActionName, string> = { unlock: 'unlocked', disable: 'disabled', enable: 'enabled' };

/** The fields a directory reads: lookup, show, the locked rule's and every action's. */
export function directoryFields(cfg: UserDirectoryConfig): string[] {
  const names = new Set<string>([...cfg.lookup, ...cfg.show]);
  const rule = cfg.locked ? ('any' in cfg.locked ? cfg.locked.any : cfg.locked.all) : [];
  for (const c of rule) names.add(c.field);
  for (const a of [cfg.unlock, cfg.disable, cfg.enable]) {
    if (!a) continue;
    for (const f of Object.keys(a.set)) names.add(f);
    for (const f of a.unset) names.add(f);
  }
  return [...names];
}

export class UserDirectory {
  constructor(
    readonly target: string,
    private readonly cfg: UserDirectoryConfig,
    private readonly backend: UserBackend,
    private readonly scrub: (text: string) => string = (t) => t,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get where(): string {
    return this.backend.where;
  }

  get lookupFields(): string[] {
    return this.cfg.lookup;
  }

  /** Fields shown for a user in lists: lookup, show, then the locked rule's. */
  get listFields(): string[] {
    const rule = this.cfg.locked ? ('any' in this.cfg.locked ? this.cfg.locked.any : this.cfg.locked.all) : [];
    return [...new Set([...this.cfg.lookup, ...this.cfg.show, ...rule.map((c) => c.field)])];
  }

  hasAction(name: UserActionName): boolean {
    return this.cfg[name] !== undefined;
  }

  /** Runs a backend call bounded by the directory's timeout; database errors become `unavailable`. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(fn(), this.cfg.timeout, `${what} on ${this.target}'s user directory`);
    } catch (e) {
      if (isUserError(e)) throw e;
      throw new UserError('unavailable', `Cannot ${what} on ${this.target}'s user directory (${this.backend.where}): ${safeError(e, this.scrub)}`);
    }
  }

  private action(name: UserActionName) {
    const a = this.cfg[name];
    if (!a) throw new UserError('invalid', `${this.target}'s user directory has no "${name}" action configured (configured: ${(['unlock', 'disable', 'enable'] as const).filter((n) => this.cfg[n]).join(', ')}).`);
    return a;
  }

  private lockedRule() {
    if (!this.cfg.locked) throw new UserError('invalid', `${this.target}'s user directory does not say what "locked" means: add users.locked to its config.`);
    return this.cfg.locked;
  }

  private resolve(name: UserActionName): ResolvedChange {
    const a = this.action(name);
    const at = this.now();
    const value = (v: FieldValue) => (v === NOW ? at : v);
    return { set: Object.fromEntries(Object.entries(a.set).map(([k, v]) => [k, value(v)])), unset: [...a.unset] };
  }

  label(row: UserRow): string {
    const values = this.cfg.lookup.map((f) => row.fields[f]).filter((v) => v !== undefined && v !== null && v !== '');
    return values.length ? [...new Set(values.map(String))].join(' / ') : `#${String(row.key)}`;
  }

  /** Exactly one user whose lookup field equals `user`; otherwise a clear `not_found` / `conflict`. */
  async findUser(user: string): Promise<UserRow> {
    const rows = await this.call('look up the user', () => this.backend.findBy(this.cfg.lookup, user, 2));
    if (rows.length === 0) {
      throw new UserError('not_found', `No user ${JSON.stringify(user)} on ${this.target} (looked up by ${this.cfg.lookup.join(', ')} in ${this.backend.where}). Nothing was changed.`);
    }
    if (rows.length > 1) {
      throw new UserError('conflict', `More than one user matches ${JSON.stringify(user)} on ${this.target} (${rows.map((r) => this.label(r)).join('; ')}): use a field that is unique. Nothing was changed.`);
    }
    return rows[0] as UserRow;
  }

  /** The fields an action would change on this row (fields already at their value left out). */
  private planFor(row: UserRow, change: ResolvedChange): FieldChange[] {
    const out: FieldChange[] = [];
    for (const [field, v] of Object.entries(change.set)) {
      const before = row.fields[field];
      const after = this.backend.stored(v);
      if (!sameValue(before, after)) out.push({ field, before, after });
    }
    for (const field of change.unset) {
      const before = row.fields[field];
      if (before !== undefined && before !== null) out.push({ field, before, after: undefined });
    }
    return out;
  }

  /** A row is already in the action's state when every literal field matches (`$now` fields do not count). */
  private alreadyDone(name: UserActionName, changes: FieldChange[]): boolean {
    const a = this.action(name);
    const literal = new Set([...Object.entries(a.set).filter(([, v]) => v !== NOW).map(([k]) => k), ...a.unset]);
    if (literal.size === 0) return false;
    return changes.every((c) => !literal.has(c.field));
  }

  private diff(ba: BeforeAfter, fields: string[]): FieldChange[] {
    return fields
      .filter((f) => !sameValue(ba.before.fields[f], ba.after.fields[f]))
      .map((f) => ({ field: f, before: ba.before.fields[f], after: ba.after.fields[f] }));
  }

  private actionFields(name: UserActionName): string[] {
    const a = this.action(name);
    return [...Object.keys(a.set), ...a.unset];
  }

  /** What `name` would change for `user`, read-only (for `--dry-run`). */
  async plan(name: UserActionName, user: string): Promise<PlannedChange & { unchanged: boolean }> {
    const change = this.resolve(name);
    const row = await this.findUser(user);
    const changes = this.planFor(row, change);
    const unchanged = this.alreadyDone(name, changes);
    return { user: this.label(row), changes: unchanged ? [] : changes, unchanged };
  }

  /** Applies `name` to `user`; returns the fields it changed, read back from the database. */
  async apply(name: UserActionName, user: string): Promise<ActionResult> {
    const change = this.resolve(name);
    const row = await this.findUser(user);
    if (this.alreadyDone(name, this.planFor(row, change))) return { user: this.label(row), changes: [], unchanged: true };
    const ba = await this.call(`${name} the user`, () => this.backend.updateOne(row.key, change));
    if (!ba) throw new UserError('conflict', `User ${JSON.stringify(user)} disappeared from ${this.target} while being changed. Nothing was changed.`);
    return { user: this.label(ba.after), changes: this.diff(ba, this.actionFields(name)), unchanged: false };
  }

  /** Locked users (at most maxBatch) and how many there are. */
  async listLocked(): Promise<{ total: number; users: { user: string; fields: Record<string, unknown> }[] }> {
    const rule = this.lockedRule();
    const { rows, total } = await this.call('list locked users', () => this.backend.findWhere(rule, this.cfg.maxBatch));
    return { total, users: rows.map((r) => ({ user: this.label(r), fields: r.fields })) };
  }

  /** What `unlock-all` would change, read-only. */
  async planUnlockAll(): Promise<{ total: number; users: PlannedChange[] }> {
    const rule = this.lockedRule();
    const change = this.resolve('unlock');
    const { rows, total } = await this.call('list locked users', () => this.backend.findWhere(rule, this.cfg.maxBatch));
    return { total, users: rows.map((r) => ({ user: this.label(r), changes: this.planFor(r, change) })) };
  }

  /** Applies `unlock` to every user the locked rule matches. */
  async unlockAll(): Promise<{ count: number; users: PlannedChange[] }> {
    const rule = this.lockedRule();
    const change = this.resolve('unlock');
    const fields = this.actionFields('unlock');
    const { changed, count } = await this.call('unlock all locked users', () => this.backend.updateWhere(rule, change, this.cfg.maxBatch));
    return { count, users: changed.map((ba) => ({ user: this.label(ba.after), changes: this.diff(ba, fields) })) };
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

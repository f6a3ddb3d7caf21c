/** Resolving target names from chat: `all`, an exact name, or a clear error with a suggestion. */
import type { Config, TargetConfig } from '../config/schema.js';
import type { Access } from '../core/command.js';
import { UserError } from '../core/errors.js';
import type { ReplyBlock } from '../core/reply.js';
import { suggest } from '../core/suggest.js';

export function resolveTarget(targets: Config['targets'], name: string): [string, TargetConfig] {
  const t = targets[name];
  if (t) return [name, t];
  const names = Object.keys(targets);
  const guess = suggest(name, names);
  throw new UserError(
    'not_found',
    `No target named "${name}".${guess ? ` Did you mean "${guess}"?` : ''} Targets: ${names.join(', ') || 'none configured'}.`,
  );
}

/** `undefined` or `all` → every target; otherwise the one named. */
export function resolveTargets(targets: Config['targets'], name: string | undefined): [string, TargetConfig][] {
  if (!name || name === 'all') return Object.entries(targets);
  return [resolveTarget(targets, name)];
}

/** The one named target of a `[target|all]` argument, or undefined for all. */
export function singleTarget(name: string | undefined): string | undefined {
  return name && name !== 'all' ? name : undefined;
}

/** The optional `[target|all]` positional shared by health, checklist and status. */
export const targetOrAllParam = { name: 'target', kind: 'positional', type: 'string', description: 'Target name or "all"', complete: 'target' } as const;

/** The entries the caller may see, and how many were left out. */
export function inScope<T>(access: Access, list: readonly [string, T][]): { visible: [string, T][]; hidden: number } {
  const visible = list.filter(([name]) => access.canSee(name));
  return { visible, hidden: list.length - visible.length };
}

/** `2 targets hidden by your role's scope.` (nothing when none were). */
export function hiddenNote(hidden: number, what: [string, string] = ['target', 'targets']): ReplyBlock[] {
  return hidden > 0 ? [{ type: 'text', text: `${hidden} ${hidden === 1 ? what[0] : what[1]} hidden by your role's scope.` }] : [];
}

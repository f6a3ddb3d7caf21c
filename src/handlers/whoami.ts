/**
 * `whoami`: who opsbot thinks you are — your subject id, the person it belongs to (and that
 * person's other identities), your roles and where each comes from, and what you may run where.
 * Open to everyone, like `help`.
 */
import { z } from 'zod';
import { defineCommand, type AnyCommand } from '../core/command.js';
import { fields, table, type ReplyBlock } from '../core/reply.js';
import { ALWAYS_ALLOWED, unlimited, type Rbac } from '../core/rbac.js';

export interface WhoamiDeps {
  rbac: Rbac;
  listCommands: () => readonly AnyCommand[];
}

type Scope = { targets: string[]; environments: string[] };
const isUnlimited = (role: Scope) => unlimited(role.targets) && unlimited(role.environments);

function scopeOf(role: Scope): string {
  if (isUnlimited(role)) return 'anywhere';
  const targets = unlimited(role.targets) ? 'all targets' : `targets ${role.targets.join(', ')}`;
  const environments = unlimited(role.environments) ? 'all environments' : `environments ${role.environments.join(', ')}`;
  return `${targets}; ${environments}`;
}

export function whoamiCommands(deps: WhoamiDeps) {
  return [
    defineCommand({
      name: 'whoami',
      summary: 'Who opsbot thinks you are: your identity, person, roles and what you may run',
      params: [],
      schema: z.object({}),
      risk: 'read',
      async run(ctx) {
        const { rbac } = deps;
        const subject = ctx.subject;
        const person = rbac.personOf(subject);
        const held = rbac.heldRoles(subject);
        const blocks: ReplyBlock[] = [fields({
          Subject: `${subject.id}${subject.display && subject.display !== subject.id ? ` (${subject.display})` : ''}`,
          Person: person ? person.id : 'none (this identity is not listed under people:)',
          'Other identities': person ? person.identities.filter((i) => i !== subject.id).join(', ') || 'none' : undefined,
          Email: person?.email,
          'Time zone': person?.tz,
          Groups: subject.groups?.length ? subject.groups.join(', ') : undefined,
        })];
        if (held.length === 0) {
          blocks.push({ type: 'text', text: `No role is given to ${subject.id}${person ? ` or to ${person.id}` : ''}: you may run only ${[...ALWAYS_ALLOWED].join(' and ')}. An admin adds roles under rbac.subjects or people.` });
          return { title: `You are ${person?.id ?? subject.id}`, status: 'info', blocks, visibility: 'ephemeral' };
        }
        blocks.push(table(['Role', 'From', 'Scope'], held.map((h) => {
          const role = rbac.role(h.role);
          return [h.role, h.from.join(', '), role ? scopeOf(role) : '(not defined)'];
        }), 'Roles'));
        const rows: string[][] = [];
        for (const command of deps.listCommands()) {
          const permission = command.permission ?? command.name;
          if (ALWAYS_ALLOWED.has(permission)) continue;
          const via = held.filter((h) => rbac.permits(h.role, permission));
          if (!via.length) continue;
          const scopes = via.map((h) => rbac.role(h.role) as Scope);
          // A command that says nothing of its targets runs only for a role without a limit.
          const global = !command.targetOf && !command.touches;
          const where = scopes.some(isUnlimited) ? 'anywhere'
            : global ? 'nowhere: it names no target, so it needs a role without a target or environment limit'
              : [...new Set(scopes.map(scopeOf))].join(' | ');
          rows.push([command.name, via.map((h) => h.role).join(', '), where]);
        }
        blocks.push(rows.length
          ? table(['Command', 'Via role', 'Where'], rows, `You may run (besides ${[...ALWAYS_ALLOWED].join(' and ')})`)
          : { type: 'text', text: `Your roles allow no command besides ${[...ALWAYS_ALLOWED].join(' and ')}.` });
        blocks.push({ type: 'text', text: 'A command that names no target shows only the targets in your scope; an alert counts as the targets its labels name.' });
        return { title: `You are ${person?.id ?? subject.id}`, status: 'info', blocks, visibility: 'ephemeral' };
      },
    }),
  ];
}

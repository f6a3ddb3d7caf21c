/** `help [command]`: the command list, or one command's usage, arguments and risk. */
import { z } from 'zod';
import { defineCommand, usageOf, type AnyCommand } from '../core/command.js';
import { table, textReply } from '../core/reply.js';
import { UserError } from '../core/errors.js';
import { suggest } from '../core/suggest.js';

export function helpCommands(listCommands: () => readonly AnyCommand[]) {
  const rowsOf = familyRowsOnce();
  return [
    defineCommand({
      name: 'help',
      aliases: ['?'],
      summary: 'List the commands, or explain one',
      params: [{ name: 'command', kind: 'positional', type: 'string', rest: true, description: 'A command name', complete: 'command' }],
      schema: z.object({ command: z.string().max(64).optional() }),
      risk: 'read',
      async run(_ctx, a) {
        const all = listCommands();
        if (!a.command) {
          return {
            title: 'opsbot commands',
            status: 'info',
            blocks: [
              table(['Command', 'What it does'], rowsOf(all)),
              { type: 'text', text: 'Every command accepts --dry-run. Type `help <command>` for details (`help backup` lists its subcommands).' },
            ],
            visibility: 'ephemeral',
          };
        }
        const wanted = a.command.toLowerCase().replace(/^\/?ops\s+/, '');
        const cmd = all.find((c) => c.name === wanted || c.aliases?.includes(wanted));
        if (!cmd) {
          const family = subcommands(all, wanted);
          if (family.length) {
            return textReply(`help ${wanted}`, 'info', family.map((c) => `${usageOf(c)} — ${c.summary}`).join('\n'), 'ephemeral');
          }
          const guess = suggest(wanted, all.map((c) => c.name));
          throw new UserError('not_found', `No command "${wanted}".${guess ? ` Did you mean "${guess}"?` : ''}`);
        }
        return {
          title: `help ${cmd.name}`,
          status: 'info',
          blocks: [
            { type: 'text', text: `${cmd.summary}\nUsage: ${usageOf(cmd)}\nRisk: ${cmd.risk}${cmd.aliases?.length ? `\nAliases: ${cmd.aliases.join(', ')}` : ''}` },
            ...(cmd.params.length
              ? [table(['Argument', 'Description'], cmd.params.map((p) => [p.kind === 'flag' ? `--${p.name}` : p.name, `${p.description}${p.choices ? ` (${p.choices.join(', ')})` : ''}${p.required ? ' (required)' : ''}`]))]
              : []),
            ...subcommandsOf(all, cmd.name),
          ],
          visibility: 'ephemeral',
        };
      },
    }),
  ];
}

/**
 * familyRows, built again only when the command list changed: the same commands (compared one
 * by one, as a reload replaces a command in place) give the same rows, so `help` does not
 * format every usage line on each call. The rows are frozen: a reply shares them.
 */
function familyRowsOnce(): (all: readonly AnyCommand[]) => string[][] {
  let built: { commands: AnyCommand[]; rows: string[][] } | undefined;
  return (all) => {
    if (!built || built.commands.length !== all.length || built.commands.some((c, i) => c !== all[i])) {
      built = { commands: [...all], rows: Object.freeze(familyRows(all).map((row) => Object.freeze(row))) as string[][] };
    }
    return built.rows;
  };
}

/**
 * One row per command family, so the list stays short enough for every surface: a single
 * command with its usage, a family as `backup run|list|verify|status`.
 */
function familyRows(all: readonly AnyCommand[]): string[][] {
  const families = new Map<string, AnyCommand[]>();
  for (const c of all) {
    const word = c.name.split(' ')[0] as string;
    families.set(word, [...(families.get(word) ?? []), c]);
  }
  return [...families].map(([word, members]) => {
    const own = members.find((c) => c.name === word);
    const subs = members.filter((c) => c !== own).map((c) => c.name.slice(word.length + 1));
    if (subs.length === 0 && own) return [usageOf(own), own.summary];
    const name = `${word}${own ? ' [...]' : ''} ${subs.join('|')}`;
    return [name, own ? own.summary : `${subs.length} subcommands: help ${word}`];
  });
}

function subcommands(all: readonly AnyCommand[], word: string): AnyCommand[] {
  return all.filter((c) => c.name.startsWith(`${word} `));
}

function subcommandsOf(all: readonly AnyCommand[], name: string) {
  const family = subcommands(all, name);
  return family.length ? [{ type: 'text' as const, text: `Also: ${family.map((c) => `${usageOf(c)} — ${c.summary}`).join('\n')}` }] : [];
}

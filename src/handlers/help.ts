/** `help [command]`: the command list, or one command's usage, arguments and risk. */
import { z } from 'zod';
import { defineCommand, usageOf, type AnyCommand } from '../core/command.js';
import { table, textReply } from '../core/reply.js';
import { UserError } from '../core/errors.js';
import { suggest } from '../core/suggest.js';

export function helpCommands(listCommands: () => readonly AnyCommand[]) {
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
              table(['Command', 'What it does'], all.map((c) => [usageOf(c), c.summary])),
              { type: 'text', text: 'Every command accepts --dry-run. Type `help <command>` for details.' },
            ],
            visibility: 'ephemeral',
          };
        }
        const wanted = a.command.toLowerCase().replace(/^\/?ops\s+/, '');
        const cmd = all.find((c) => c.name === wanted || c.aliases?.includes(wanted));
        if (!cmd) {
          const family = all.filter((c) => c.name.startsWith(`${wanted} `));
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
          ],
          visibility: 'ephemeral',
        };
      },
    }),
  ];
}

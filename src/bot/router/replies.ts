/** The replies the router itself gives: nothing typed, unknown command, bad arguments, denial, dry run. */
import { usageOf, type AnyCommand } from '../../core/command.js';
import { textReply, type Reply } from '../../core/reply.js';
import type { CommandRegistry } from '../registry.js';
import { suggest } from '../parse.js';

export const nothingToDo = (): Reply => textReply('Nothing to do', 'info', 'Type `help` for the list of commands.', 'ephemeral');

export function unknownCommand(registry: CommandRegistry, tokens: string[]): Reply {
  const word = (tokens[0] as string).toLowerCase();
  const family = registry.family(word);
  if (family.length) {
    const sub = tokens[1]?.toLowerCase();
    const guess = sub && !sub.startsWith('-') ? suggest(sub, family.map((c) => c.name.slice(word.length + 1))) : undefined;
    return textReply(
      sub ? `Unknown subcommand \`${word} ${sub}\`` : `\`${word}\` needs a subcommand`,
      'error',
      `${guess ? `Did you mean \`${word} ${guess}\`?\n` : ''}${family.map((c) => `• ${usageOf(c)} — ${c.summary}`).join('\n')}`,
      'ephemeral',
    );
  }
  const guess = suggest(word, registry.names());
  return textReply(
    `Unknown command \`${word}\``,
    'error',
    `${guess ? `Did you mean \`${guess}\`? ` : ''}Type \`help\` for the list of commands.`,
    'ephemeral',
  );
}

export function badArguments(command: AnyCommand, problems: string[]): Reply {
  return textReply(`Bad arguments for \`${command.name}\``, 'error', `${problems.join('\n')}\nUsage: ${usageOf(command)}`, 'ephemeral');
}

/** `where`: what the call touches (` on web`, ` on web, db`), or empty. */
export function permissionDenied(command: AnyCommand, where: string, needs: string[], reason: string): Reply {
  return textReply(
    'Permission denied',
    'denied',
    `You may not run \`${command.name}\`${where}. ${needs.length ? `It needs one of the roles: ${needs.join(', ')}.` : 'No role allows it.'} (${reason})`,
    'ephemeral',
  );
}

export function dryRun(command: AnyCommand, what: string): Reply {
  return textReply(`Dry run: ${command.name}`, 'info', `Would ${what}. Risk: ${command.risk}. Nothing was done.`, 'ephemeral');
}

export function auditUnavailable(command: AnyCommand, invocationId: string): Reply {
  return textReply(
    `${command.name} was not run`,
    'error',
    `The audit trail cannot be written right now, and a ${command.risk} command runs only once its start is recorded. Nothing was done. Reference: ${invocationId} (see the bot's logs).`,
    'ephemeral',
  );
}

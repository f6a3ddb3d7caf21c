/** The first step: the command line against the registry, then the arguments against the command's zod schema. */
import type { z } from 'zod';
import type { AnyCommand } from '../../core/command.js';
import { textReply } from '../../core/reply.js';
import type { CommandRegistry } from '../registry.js';
import { bindArgs, ParseError, stripPrefix, tokenize, type ParsedArgs } from '../parse.js';
import { badArguments, nothingToDo, unknownCommand } from './replies.js';
import type { Settled } from './settled.js';

export type ParseStep =
  | { kind: 'parsed'; command: AnyCommand; args: Record<string, unknown>; dryRun: boolean; reason?: string | undefined; as?: string | undefined }
  /** It ends here (nothing typed, unknown command, bad arguments); `command` and `args` as far as they were read, for the audit. */
  | { kind: 'settled'; settled: Settled; command?: AnyCommand; args: Record<string, unknown> };

function usage(reply: Settled['reply'], message: string, decision: Settled['decision'] = 'invalid', code: 'usage' | 'unknown_command' = 'usage'): Settled {
  return { decision, outcome: 'usage', reply, error: { code, message } };
}

export function parseLine(registry: CommandRegistry, line: string): ParseStep {
  let tokens: string[];
  try {
    tokens = stripPrefix(tokenize(line));
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { kind: 'settled', args: {}, settled: usage(textReply('Cannot read that command', 'error', `${e.message}. Type \`help\` for the commands.`, 'ephemeral'), e.message) };
  }
  if (tokens.length === 0) return { kind: 'settled', args: {}, settled: usage(nothingToDo(), 'nothing to do', 'unknown') };
  const match = registry.match(tokens);
  if (!match) {
    const reply = unknownCommand(registry, tokens);
    return { kind: 'settled', args: {}, settled: usage(reply, reply.title, 'unknown', 'unknown_command') };
  }
  const command = match.command;
  let bound: ParsedArgs;
  try {
    bound = bindArgs(tokens.slice(match.used), command.params);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { kind: 'settled', command, args: {}, settled: usage(badArguments(command, [e.message]), e.message) };
  }
  const parsed = (command.schema as z.ZodType).safeParse(bound.values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`);
    return { kind: 'settled', command, args: bound.values, settled: usage(badArguments(command, problems), problems.join('; ')) };
  }
  return { kind: 'parsed', command, args: parsed.data as Record<string, unknown>, dryRun: bound.dryRun, reason: bound.reason, as: bound.as };
}

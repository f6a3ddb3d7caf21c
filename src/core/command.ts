/**
 * What a command is: its name, its arguments (declared for parsing and for Discord option
 * generation, validated by a zod schema), its permission and risk, and the handler that runs it.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Reply } from './reply.js';
import type { CommandRunner } from './invocation.js';

export type Risk = 'read' | 'write' | 'dangerous';

export interface ParamSpec {
  name: string;
  /** `positional` args are taken in order; `flag` args are `--name value` (or `--name` for booleans). */
  kind: 'positional' | 'flag';
  type: 'string' | 'number' | 'boolean';
  description: string;
  required?: boolean;
  /** The last positional may take the rest of the line (`silence a1 1h the reason words`). */
  rest?: boolean;
  choices?: readonly string[];
  /** Value shown in usage: `--lines N`. */
  placeholder?: string;
  /** Which names a surface may offer for completion (Discord autocomplete). */
  complete?: 'target' | 'alert' | 'schedule' | 'command' | 'request' | 'runbook';
}

export interface Subject {
  /** `console:operator`, `slack:U123`, `discord:user:42`. */
  id: string;
  /** Further subjects this one belongs to: `slack:usergroup:S1`, `discord:role:7`. */
  groups?: string[];
  /** A readable name for messages: `@alice`. */
  display?: string;
}

export interface CommandContext {
  invocationId: string;
  subject: Subject;
  surface: string;
  channel?: string;
  dryRun: boolean;
  log: Logger;
  /** Aborted when the invocation times out or the bot shuts down. */
  signal: AbortSignal;
  /** Runs another command through the router (RBAC, gate, audit), with this invocation as its parent. */
  runner: CommandRunner;
}

export interface CommandSpec<A = Record<string, unknown>> {
  /** One or more words: `health`, `backup run`. */
  name: string;
  aliases?: string[];
  summary: string;
  params: ParamSpec[];
  schema: z.ZodType<A>;
  risk: Risk;
  /** Permission name checked by RBAC; defaults to the command name. */
  permission?: string;
  /** The target a call acts on, for per-target RBAC and approvals. */
  targetOf?: (args: A) => string | undefined;
  /** Exactly what a `--dry-run` of this call would do. Defaults to a generic sentence. */
  describe?: (args: A) => string | Promise<string>;
  /** Longest a run may take before it is aborted (default 60s). */
  timeoutMs?: number;
  run(ctx: CommandContext, args: A): Promise<Reply>;
}

/** Identity helper that keeps the args type of a spec inferred from its schema. */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}

export type AnyCommand = CommandSpec<never> | CommandSpec<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function usageOf(spec: Pick<CommandSpec, 'name' | 'params'>): string {
  const parts = [spec.name];
  for (const p of spec.params) {
    if (p.kind === 'positional') {
      const inner = p.choices && p.choices.length <= 6 ? p.choices.join('|') : p.name;
      const name = p.rest ? `${inner}...` : inner;
      parts.push(p.required ? `<${name}>` : `[${name}]`);
    } else {
      const value = p.type === 'boolean' ? '' : ` ${p.placeholder ?? p.name.toUpperCase()}`;
      parts.push(p.required ? `--${p.name}${value}` : `[--${p.name}${value}]`);
    }
  }
  return parts.join(' ');
}

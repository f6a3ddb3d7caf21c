/**
 * What a command is: its name, its arguments (declared for parsing and for Discord option
 * generation, validated by a zod schema), its permission and risk, and the handler that runs it.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Reply } from './reply.js';
import type { CommandRunner } from './invocation.js';
import type { ProgressFn } from './progress.js';

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
  /** The person of `people:` this identity belongs to (`alice`), set by the router. */
  person?: string;
}

/** Something a call acts on or shows, for RBAC: a target (with its environment), or only an environment. */
export interface Touch {
  target?: string;
  environment?: string;
}

/** What this invocation's roles let it see and act on (built by the router for the command's permission). */
export interface Access {
  /** May this invocation see / act on the target (and the target's environment)? */
  canSee(target: string): boolean;
  /** May it act on every one of these? An empty list, or a touch naming neither target nor environment, needs a role without a target or environment limit. */
  allowsAll(touches: readonly Touch[]): boolean;
}

export interface CommandContext {
  invocationId: string;
  subject: Subject;
  surface: string;
  channel?: string;
  dryRun: boolean;
  /** The caller's scope for this command: handlers that show or touch several targets filter with it. */
  access: Access;
  log: Logger;
  /** Aborted when the invocation times out or the bot shuts down. */
  signal: AbortSignal;
  /** Runs another command through the router (RBAC, gate, audit), with this invocation as its parent. */
  runner: CommandRunner;
  /** Shows what a long operation is doing now, on the surface that started it (throttled; see core/progress.ts). */
  progress?: ProgressFn;
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
  /**
   * How RBAC scopes a call for which `targetOf` names no target:
   * - a list of touches (an alert group's targets, from its labels): every one must be allowed, or the call is refused;
   * - `'filtered'`: the call may touch every target and the handler shows only those `ctx.access` allows (`health all`).
   * A command with neither `targetOf` nor `touches` may be run only by roles without a target or environment limit.
   */
  touches?: (args: A) => 'filtered' | Touch[] | Promise<'filtered' | Touch[]>;
  /** Exactly what a `--dry-run` of this call would do (within the caller's `access`). Defaults to a generic sentence. */
  describe?: (args: A, access: Access) => string | Promise<string>;
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

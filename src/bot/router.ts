/**
 * The one path for every invocation (typed command, button press, console line, scheduled job):
 * parse → validate → RBAC → approval gate → dry-run or run → audit → reply.
 */
import { newInvocationId } from '../core/ids.js';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { usageOf, type AnyCommand, type CommandContext } from '../core/command.js';
import { textReply, type Reply } from '../core/reply.js';
import { isUserError, withTimeout, errorMessage } from '../core/errors.js';
import type { AuditLog, Decision, Outcome } from '../core/audit.js';
import type { Rbac } from '../core/rbac.js';
import type { Metrics } from '../core/metrics.js';
import type { Redactor } from '../core/redact.js';
import type { CommandRunner, Gate, Invocation, RouterResult } from '../core/invocation.js';
import type { CommandRegistry } from './registry.js';
import { bindArgs, ParseError, stripPrefix, suggest, tokenize } from './parse.js';

export interface RouterDeps {
  registry: CommandRegistry;
  rbac: Rbac;
  audit: AuditLog;
  metrics: Metrics;
  log: Logger;
  redactor: Redactor;
  /** Environment of a target, for environment-scoped roles. */
  environmentOf: (target: string) => string | undefined;
  commandTimeoutMs: number;
  gate?: Gate;
}


export class Router {
  /** Core services run commands through this: the same path as a typed command, with the parent's id. */
  readonly runner: CommandRunner = {
    run: (line, o) => this.handle({ line, subject: o.subject, surface: o.surface, ...(o.channel ? { channel: o.channel } : {}), parentId: o.parentInvocationId }),
  };
  private readonly running = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: RouterDeps) {}

  get registry(): CommandRegistry {
    return this.deps.registry;
  }

  handle(inv: Invocation): Promise<RouterResult> {
    const p = this.process(inv);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  /** Waits for running invocations (bounded), then aborts what is left. */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.running]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
    this.shutdown.abort();
  }

  get inFlight(): number {
    return this.running.size;
  }

  private async process(inv: Invocation): Promise<RouterResult> {
    const started = performance.now();
    const invocationId = inv.id ?? newInvocationId();
    const log = this.deps.log.child({ invocationId, subject: inv.subject.id, surface: inv.surface });
    let command: AnyCommand | undefined;
    let args: Record<string, unknown> = {};
    let decision: Decision = 'allowed';
    let outcome: Outcome = 'ok';
    let reply: Reply;

    try {
      const tokens = stripPrefix(tokenize(inv.line));
      if (tokens.length === 0) {
        decision = 'unknown';
        outcome = 'usage';
        reply = textReply('Nothing to do', 'info', 'Type `help` for the list of commands.', 'ephemeral');
      } else {
        const found = this.deps.registry.match(tokens);
        if (!found) {
          decision = 'unknown';
          outcome = 'usage';
          reply = this.unknownCommand(tokens);
        } else {
          command = found.command;
          const bound = bindArgs(tokens.slice(found.used), command.params);
          const parsed = (command.schema as z.ZodType).safeParse(bound.values);
          if (!parsed.success) {
            decision = 'invalid';
            outcome = 'usage';
            args = bound.values;
            reply = this.badArguments(command, parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`));
          } else {
            args = parsed.data as Record<string, unknown>;
            const rbac = await this.deps.rbac.authorize(inv.subject, command, args, this.deps.environmentOf);
            const target = rbac.target;
            if (!rbac.allowed) {
              decision = 'denied';
              outcome = 'denied';
              log.warn({ command: command.name, reason: rbac.reason }, 'invocation denied');
              reply = textReply(
                'Permission denied',
                'denied',
                `You may not run \`${command.name}\`${rbac.where}. ${rbac.needs.length ? `It needs one of the roles: ${rbac.needs.join(', ')}.` : 'No role allows it.'} (${rbac.reason})`,
                'ephemeral',
              );
            } else if (bound.dryRun) {
              decision = 'dry-run';
              const what = command.describe ? await command.describe(args as never, rbac.access) : `run \`${command.name}\` with ${JSON.stringify(this.deps.redactor.value(args))}`;
              reply = textReply(`Dry run: ${command.name}`, 'info', `Would ${what}. Risk: ${command.risk}. Nothing was done.`, 'ephemeral');
            } else {
              const gated = await this.deps.gate?.({ invocation: inv, invocationId, command, args, target });
              if (gated) {
                reply = gated;
              } else {
                reply = await this.run(command, args, { invocationId, subject: rbac.subject, access: rbac.access, surface: inv.surface, channel: inv.channel, dryRun: false, log });
                if (reply.status === 'fail' || reply.status === 'error') outcome = 'failed';
              }
            }
          }
        }
      }
    } catch (e) {
      if (e instanceof ParseError) {
        decision = 'invalid';
        outcome = 'usage';
        reply = command ? this.badArguments(command, [e.message]) : textReply('Cannot read that command', 'error', `${e.message}. Type \`help\` for the commands.`, 'ephemeral');
      } else if (isUserError(e)) {
        outcome = 'failed';
        reply = textReply(command ? `${command.name} failed` : 'Failed', 'fail', this.deps.redactor.text(e.message));
      } else {
        outcome = 'error';
        log.error({ err: e, command: command?.name }, 'invocation failed');
        reply = textReply('Something went wrong', 'error', `An internal error stopped this command. Reference: ${invocationId} (see the bot's logs).`, 'ephemeral');
      }
    }

    const durationMs = Math.round(performance.now() - started);
    const name = command?.name ?? 'unknown';
    this.deps.metrics.invocations.inc({ command: name, outcome, surface: inv.surface });
    this.deps.metrics.invocationSeconds.observe({ command: name, outcome }, durationMs / 1000);
    log.info({ command: name, decision, outcome, durationMs }, 'invocation');
    try {
      await this.deps.audit.record({
        at: new Date(),
        invocationId,
        subject: inv.subject.id,
        surface: inv.surface,
        ...(inv.channel ? { channel: inv.channel } : {}),
        ...(inv.parentId ? { parentInvocationId: inv.parentId } : {}),
        command: name,
        args: this.deps.redactor.value(args),
        line: this.deps.redactor.text(inv.line).slice(0, 500),
        decision,
        outcome,
        durationMs,
        ...(outcome !== 'ok' ? { message: reply.title } : {}),
      });
    } catch (e) {
      log.error({ err: e }, 'audit write failed');
    }
    return { invocationId, ...(command ? { command: command.name } : {}), outcome, reply: { ...reply, footer: reply.footer ?? `ref ${invocationId}` } };
  }

  private async run(command: AnyCommand, args: Record<string, unknown>, base: Omit<CommandContext, 'signal' | 'runner'>): Promise<Reply> {
    const ac = new AbortController();
    const onShutdown = () => ac.abort();
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const timeoutMs = command.timeoutMs ?? this.deps.commandTimeoutMs;
    try {
      return await withTimeout(command.run({ ...base, runner: this.runner, signal: ac.signal }, args as never), timeoutMs, `\`${command.name}\``);
    } catch (e) {
      ac.abort();
      if (!isUserError(e)) base.log.debug({ err: errorMessage(e) }, 'handler threw');
      throw e;
    } finally {
      this.shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  private unknownCommand(tokens: string[]): Reply {
    const word = (tokens[0] as string).toLowerCase();
    const family = this.deps.registry.family(word);
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
    const guess = suggest(word, this.deps.registry.names());
    return textReply(
      `Unknown command \`${word}\``,
      'error',
      `${guess ? `Did you mean \`${guess}\`? ` : ''}Type \`help\` for the list of commands.`,
      'ephemeral',
    );
  }

  private badArguments(command: AnyCommand, problems: string[]): Reply {
    return textReply(`Bad arguments for \`${command.name}\``, 'error', `${problems.join('\n')}\nUsage: ${usageOf(command)}`, 'ephemeral');
  }
}

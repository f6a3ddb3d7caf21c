/**
 * The one path for every invocation (typed command, button press, console line, scheduled job),
 * in named steps: parse → authorize → dry run → gate → execute (audited before it acts when it
 * writes) → record. Every reply leaves through one step that sets the visibility default and
 * redacts it. The steps live in `router/`.
 */
import { newInvocationId } from '../core/ids.js';
import type { Logger } from 'pino';
import type { Access, AnyCommand, Subject } from '../core/command.js';
import { errorMessage, type ErrorCode } from '../core/errors.js';
import type { AuditLog } from '../core/audit.js';
import type { Rbac } from '../core/rbac.js';
import type { Metrics } from '../core/metrics.js';
import type { Redactor } from '../core/redact.js';
import type { CommandRunner, Gate, Invocation, RouterResult } from '../core/invocation.js';
import type { CommandRegistry } from './registry.js';
import { parseLine } from './router/parse-step.js';
import { runHandler } from './router/execute.js';
import { outgoingReply } from './router/outgoing.js';
import { fromError, fromReply, ok, type Settled } from './router/settled.js';
import { auditUnavailable, dryRun, permissionDenied } from './router/replies.js';
import { textReply } from '../core/reply.js';
import { systemClock, type Clock } from '../core/clock.js';
import { throttledProgress } from '../core/progress.js';

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
  /** Paces progress updates (at most one a second); systemClock when not given. */
  clock?: Clock;
}

/** Something an adapter refused before it became an invocation (bad options, an expired button, a bad payload). */
export interface AdapterRejection {
  surface: string;
  subject: Subject;
  /** `options`, `button`, `payload`. */
  what: string;
  code: ErrorCode;
  title: string;
  message: string;
  channel?: string | undefined;
  line?: string | undefined;
  id?: string | undefined;
}

/** One invocation on its way through the steps. */
interface Call {
  inv: Invocation;
  invocationId: string;
  /** The invoking subject, its person resolved by RBAC. */
  subject: Subject;
  log: Logger;
  startedAt: number;
  command?: AnyCommand;
  args: Record<string, unknown>;
  /** A `started` audit entry was written; the record step completes it. */
  begun: boolean;
}

/** Commands that run commands (runbooks, jobs, approvals) may nest this deep; a loop stops here. */
export const MAX_NESTING = 8;

function tooDeep(depth: number): Settled {
  const message = `commands started by commands are nested ${depth} deep (at most ${MAX_NESTING}): does a runbook or job run itself?`;
  return { decision: 'invalid', outcome: 'usage', reply: textReply('Nested too deep', 'error', message, 'ephemeral'), error: { code: 'invalid', message } };
}

export class Router {
  /** Core services run commands through this: the same path as a typed command, with the parent's id. */
  readonly runner: CommandRunner = {
    run: (line, o) => this.handle({
      line, subject: o.subject, surface: o.surface, parentId: o.parentInvocationId,
      ...(o.channel ? { channel: o.channel } : {}),
      ...(o.approval ? { approval: o.approval } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    }),
  };
  private readonly running = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();
  /** How deep each running invocation is nested under others started through the runner. */
  private readonly depths = new Map<string, number>();

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

  /**
   * An adapter's refusal: audited as a `system` entry, counted, and answered like any other
   * reply (to the asker only, redacted, with its reference).
   */
  async rejected(r: AdapterRejection): Promise<RouterResult> {
    const invocationId = r.id ?? newInvocationId();
    const log = this.deps.log.child({ invocationId, subject: r.subject.id, surface: r.surface });
    log.warn({ what: r.what, code: r.code, reason: r.message }, 'request rejected by the adapter');
    this.deps.metrics.invocations.inc({ command: 'rejected', outcome: 'usage', surface: r.surface });
    this.deps.metrics.invocationErrors.inc({ command: 'rejected', code: r.code, surface: r.surface });
    try {
      await this.deps.audit.rejected({
        invocationId, subject: r.subject.id, origin: r.surface, what: r.what, code: r.code,
        message: this.deps.redactor.text(r.message), channel: r.channel, line: r.line === undefined ? undefined : this.deps.redactor.text(r.line),
      });
    } catch (e) {
      log.error({ err: e }, `audit write of a rejection failed: ${errorMessage(e)}`);
    }
    const error = { code: r.code, message: this.deps.redactor.text(r.message) };
    return { invocationId, outcome: 'usage', error, reply: outgoingReply(textReply(r.title, 'error', r.message, 'ephemeral'), 'usage', invocationId, this.deps.redactor) };
  }

  private async process(inv: Invocation): Promise<RouterResult> {
    const invocationId = inv.id ?? newInvocationId();
    const call: Call = {
      inv, invocationId, subject: inv.subject, args: {}, begun: false, startedAt: performance.now(),
      log: this.deps.log.child({ invocationId, subject: inv.subject.id, surface: inv.surface }),
    };
    const depth = inv.parentId ? (this.depths.get(inv.parentId) ?? 0) + 1 : 0;
    this.depths.set(invocationId, depth);
    try {
      const settled = depth > MAX_NESTING ? tooDeep(depth) : await this.settle(call);
      await this.record(call, settled);
      return this.result(call, settled);
    } finally {
      this.depths.delete(invocationId);
    }
  }

  /** The steps up to the outcome; each returns how the invocation ended or hands on. */
  private async settle(call: Call): Promise<Settled> {
    try {
      const step = parseLine(this.deps.registry, call.inv.line);
      if (step.command) call.command = step.command;
      call.args = step.args;
      if (step.kind === 'settled') return step.settled;
      if (step.as) {
        const refused = await this.actAs(call, step.as);
        if (refused) return refused;
      }
      const auth = await this.authorize(call, step.command, step.args);
      if (auth.denied) return auth.denied;
      const { target, access } = auth;
      if (step.dryRun) return await this.dryRun(call, step.command, step.args, access);
      const gated = await this.deps.gate?.({ invocation: { ...call.inv, subject: call.subject }, invocationId: call.invocationId, command: step.command, args: step.args, target, reason: step.reason });
      if (gated) return { ...ok(gated.reply), pending: { approval: gated.approval } };
      return await this.execute(call, step.command, step.args, access);
    } catch (e) {
      return fromError(e, { command: call.command, invocationId: call.invocationId, log: call.log });
    }
  }

  /**
   * RBAC for every target the call touches; the subject comes back with its person resolved, and
   * `access` is what the handler may show of the targets it lists.
   */
  private async authorize(call: Call, command: AnyCommand, args: Record<string, unknown>): Promise<{ denied?: Settled; target?: string | undefined; access: Access }> {
    const rbac = await this.deps.rbac.authorize(call.inv.subject, command, args, this.deps.environmentOf);
    call.subject = rbac.subject;
    if (rbac.allowed) return { target: rbac.target, access: rbac.access };
    call.log.warn({ command: command.name, reason: rbac.reason }, 'invocation denied');
    const reply = permissionDenied(command, rbac.where, rbac.needs, rbac.reason);
    return { access: rbac.access, denied: { decision: 'denied', outcome: 'denied', reply, error: { code: 'denied', message: `not allowed to run ${command.name}${rbac.where}` } } };
  }

  /**
   * `--as <person>`: on the console only, the line runs as that person's `console:` identity (so
   * one terminal can show a whole approval flow). Audited as a system event naming who did it.
   */
  private async actAs(call: Call, person: string): Promise<Settled | undefined> {
    const refuse = (message: string): Settled => ({ decision: 'invalid', outcome: 'usage', reply: textReply('Cannot act as someone else', 'error', message, 'ephemeral'), error: { code: 'usage', message } });
    if (call.inv.surface !== 'console') return refuse('--as works only in the console.');
    const identity = this.deps.rbac.people.get(person)?.identities.find((i) => i.startsWith('console:'));
    if (!identity) return refuse(`--as needs a person of \`people:\` with a console identity; "${person}" has none.`);
    const actor = call.inv.subject.id;
    if (actor === identity) return undefined;
    call.inv = { ...call.inv, subject: { id: identity, display: person } };
    call.subject = call.inv.subject;
    call.log.warn({ actor, as: identity }, 'console acts as another person');
    await this.deps.audit.systemEvent({ action: 'console.as', subject: actor, message: `${actor} ran a line as ${person} (${identity})`, detail: { invocationId: call.invocationId, as: identity } });
    return undefined;
  }

  /** Says what it would do; a description that fails (an unknown target) is still audited as a dry run. */
  private async dryRun(call: Call, command: AnyCommand, args: Record<string, unknown>, access: Access): Promise<Settled> {
    try {
      const what = command.describe ? await command.describe(args as never, access) : `run \`${command.name}\` with ${JSON.stringify(this.deps.redactor.value(args))}`;
      return ok(dryRun(command, what), 'dry-run');
    } catch (e) {
      return { ...fromError(e, { command, invocationId: call.invocationId, log: call.log }), decision: 'dry-run' };
    }
  }

  /** Write and dangerous commands run only once their `started` entry is written. */
  private async execute(call: Call, command: AnyCommand, args: Record<string, unknown>, access: Access): Promise<Settled> {
    const timeoutMs = command.timeoutMs ?? this.deps.commandTimeoutMs;
    if (command.risk !== 'read') {
      try {
        await this.deps.audit.begin({ ...this.auditIdentity(call), command: command.name }, timeoutMs);
        call.begun = true;
      } catch (e) {
        call.log.error({ err: e, command: command.name }, `audit write failed; ${command.name} not run: ${errorMessage(e)}`);
        return { decision: 'allowed', outcome: 'error', reply: auditUnavailable(command, call.invocationId), error: { code: 'audit_unavailable', message: 'the audit trail cannot be written; nothing was done' } };
      }
    }
    try {
      const { inv, invocationId, log, subject } = call;
      const sink = inv.progress;
      const progress = sink && throttledProgress((text) => sink(this.deps.redactor.text(text)), {
        clock: this.deps.clock ?? systemClock,
        onError: (e) => log.warn({ err: errorMessage(e) }, 'progress update not shown'),
      });
      const ctx = { invocationId, subject, access, runner: this.runner, surface: inv.surface, channel: inv.channel, dryRun: false, log, ...(progress ? { progress: progress.report } : {}) };
      try {
        return fromReply(await runHandler(command, args, ctx, timeoutMs, this.shutdown.signal, inv.signal));
      } finally {
        await progress?.close();
      }
    } catch (e) {
      return fromError(e, { command, invocationId: call.invocationId, log: call.log });
    }
  }

  /** Metrics, the log line and the audit entry (completing the `started` one when there is one). */
  private async record(call: Call, s: Settled): Promise<void> {
    const durationMs = Math.round(performance.now() - call.startedAt);
    const name = call.command?.name ?? 'unknown';
    const { metrics } = this.deps;
    metrics.invocations.inc({ command: name, outcome: s.outcome, surface: call.inv.surface });
    metrics.invocationSeconds.observe({ command: name, outcome: s.outcome }, durationMs / 1000);
    if (s.error) metrics.invocationErrors.inc({ command: name, code: s.error.code, surface: call.inv.surface });
    call.log.info({ command: name, decision: s.decision, outcome: s.outcome, code: s.error?.code, durationMs }, 'invocation');
    const done = { outcome: s.outcome, code: s.error?.code, message: s.error ? this.deps.redactor.text(s.error.message).slice(0, 500) : undefined, durationMs };
    try {
      if (call.begun) {
        if (!(await this.deps.audit.complete(call.invocationId, done))) call.log.error('audit entry could not be completed (it is no longer started)');
      } else {
        await this.deps.audit.record({ ...this.auditIdentity(call), command: name, decision: s.decision, ...done });
      }
    } catch (e) {
      call.log.error({ err: e }, `audit write failed: ${errorMessage(e)}`);
    }
  }

  private auditIdentity(call: Call) {
    const { inv, invocationId } = call;
    return {
      invocationId,
      subject: inv.subject.id,
      surface: inv.surface,
      channel: inv.channel,
      parentInvocationId: inv.parentId,
      ...(inv.approval?.startsWith('approved:') ? { approval: inv.approval.slice('approved:'.length) } : {}),
      args: this.deps.redactor.value(call.args),
      line: this.deps.redactor.text(inv.line).slice(0, 500),
    };
  }

  private result(call: Call, s: Settled): RouterResult {
    return {
      invocationId: call.invocationId,
      ...(call.command ? { command: call.command.name } : {}),
      outcome: s.outcome,
      reply: outgoingReply(s.reply, s.outcome, call.invocationId, this.deps.redactor),
      ...(s.error ? { error: { code: s.error.code, message: this.deps.redactor.text(s.error.message) } } : {}),
      ...(s.pending ? { pending: s.pending } : {}),
    };
  }
}

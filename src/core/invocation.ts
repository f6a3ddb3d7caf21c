/**
 * The ports between the surfaces, the router and core: what an invocation is, what running one
 * returns, the approval gate before a risky command, and the `CommandRunner` through which core
 * services (approvals, runbooks, the scheduler) run a command on the same path as a typed one.
 */
import type { AnyCommand, Subject } from './command.js';
import type { Outcome } from './audit.js';
import type { Reply } from './reply.js';
import type { ErrorInfo } from './errors.js';
import type { ProgressSink } from './progress.js';

export interface Invocation {
  subject: Subject;
  /** `console`, `cli`, `slack`, `discord`, `scheduler`… */
  surface: string;
  line: string;
  channel?: string;
  /** Set by adapters that already assigned an id (e.g. for an early ack). */
  id?: string;
  /** The invocation that started this one (a runbook step, an approved request, a scheduled job). */
  parentId?: string;
  /**
   * `required`: the command must be approved even when no approvals rule matches it (a runbook
   * step marked `approval: true`; `approvals.default` applies). `approved:<request-id>`: it is
   * the execution of that approved request (set only by the approvals service), so the gate lets
   * it through.
   */
  approval?: 'required' | `approved:${string}`;
  /** Aborting it aborts the handler (its `ctx.signal` fires), as the handler's own timeout does. */
  signal?: AbortSignal;
  /** Where the surface shows progress of a long operation while it runs (the router throttles and redacts it). */
  progress?: ProgressSink;
}

export interface RouterResult {
  invocationId: string;
  command?: string;
  outcome: Outcome;
  reply: Reply;
  /** Why it did not end `ok`: a stable code and the message the user may see. */
  error?: ErrorInfo;
  /** The gate held the command for approval: the request's id. It runs (or not) when the request is decided. */
  pending?: { approval: string };
}

/** What the gate decided to hold: the reply for the asker, and the approval request it opened. */
export interface GateHold {
  reply: Reply;
  /** The approval request's id (`r7k2`). */
  approval: string;
}

/**
 * A hook before a command runs (after RBAC, never for a dry run): returns a hold (approval
 * requested) to stop it, or nothing to let it run. `invocation.subject` has its person resolved;
 * `reason` is the line's `--reason`.
 */
export type Gate = (call: { invocation: Invocation; invocationId: string; command: AnyCommand; args: unknown; target?: string | undefined; reason?: string | undefined }) => Promise<GateHold | undefined>;

export interface RunOptions {
  /** Whose rights the command runs with (RBAC checks this subject). */
  subject: Subject;
  surface: string;
  channel?: string;
  /** The invocation on whose behalf this one runs; recorded in the audit entry. */
  parentInvocationId: string;
  /** See `Invocation.approval`. */
  approval?: Invocation['approval'];
  /** Aborts the command once it runs (a job's timeout): its handler's `ctx.signal` fires. */
  signal?: AbortSignal;
}

/** Runs a command line through the router: parsed, RBAC-checked, gated, audited like a typed one. */
export interface CommandRunner {
  run(line: string, opts: RunOptions): Promise<RouterResult>;
}

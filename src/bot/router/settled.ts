/** How an invocation ended, before it is recorded and handed back: what the steps of the router return. */
import type { Logger } from 'pino';
import type { AnyCommand } from '../../core/command.js';
import type { Decision, Outcome } from '../../core/audit.js';
import { errorMessage, internalErrorMessage, isUserError, type ErrorInfo } from '../../core/errors.js';
import { textReply, type Reply } from '../../core/reply.js';

export interface Settled {
  decision: Decision;
  outcome: Outcome;
  reply: Reply;
  error?: ErrorInfo;
  /** Held by the gate: the approval request's id. */
  pending?: { approval: string };
}

export function ok(reply: Reply, decision: Decision = 'allowed'): Settled {
  return { decision, outcome: 'ok', reply };
}

/** A handler's own report of failure (status `fail` / `error`) is a failed outcome with the code `failed`. */
export function fromReply(reply: Reply): Settled {
  const failed = reply.status === 'fail' || reply.status === 'error';
  return failed ? { decision: 'allowed', outcome: 'failed', reply, error: { code: 'failed', message: reply.title } } : ok(reply);
}

/** Anything thrown on the way: a user error keeps its code, the rest is `internal` and logged. */
export function fromError(e: unknown, at: { command?: AnyCommand | undefined; invocationId: string; log: Logger }): Settled {
  if (isUserError(e)) {
    const reply = textReply(at.command ? `${at.command.name} failed` : 'Failed', 'fail', e.message, 'ephemeral');
    return { decision: 'allowed', outcome: 'failed', reply, error: { code: e.code, message: e.message } };
  }
  at.log.error({ err: e, command: at.command?.name }, `invocation failed: ${errorMessage(e)}`);
  const message = internalErrorMessage(at.invocationId);
  return { decision: 'allowed', outcome: 'error', reply: textReply('Something went wrong', 'error', message, 'ephemeral'), error: { code: 'internal', message } };
}

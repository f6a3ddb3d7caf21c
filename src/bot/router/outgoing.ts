/**
 * The last step before a reply leaves the router, the same for every surface: the one visibility
 * default, the reference footer, and the redactor over every text the reply carries.
 */
import type { Outcome } from '../../core/audit.js';
import type { Reply } from '../../core/reply.js';
import type { Redactor } from '../../core/redact.js';

/** A reply that does not say: a result that ended `ok` is for the channel; anything else only for the asker. */
export function defaultVisibility(outcome: Outcome): NonNullable<Reply['visibility']> {
  return outcome === 'ok' ? 'channel' : 'ephemeral';
}

export function outgoingReply(reply: Reply, outcome: Outcome, invocationId: string, redactor: Redactor): Reply {
  return redactor.reply({
    ...reply,
    visibility: reply.visibility ?? defaultVisibility(outcome),
    footer: reply.footer ?? `ref ${invocationId}`,
  });
}

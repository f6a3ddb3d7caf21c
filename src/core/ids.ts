import { randomBytes } from 'node:crypto';

/** Short random ids (16 hex characters) for documents without an `_id` of their own. */
export function newId(): string {
  return randomBytes(8).toString('hex');
}

/** Invocation ids (12 hex characters): short enough to read out in chat, carried through every log line. */
export function newInvocationId(): string {
  return randomBytes(6).toString('hex');
}

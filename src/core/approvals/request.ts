/** One approval request as stored: what was asked, by whom, under which policy, and how it ended. */
import type { Risk, Subject } from '../command.js';
import type { AuditOwner } from '../audit/entry.js';
import type { Outcome } from '../audit/entry.js';
import type { ErrorCode } from '../errors.js';
import { randomBytes } from 'node:crypto';

/**
 * `pending` → `approved` (enough approvals) → `executing` (claimed by one process) → `executed`;
 * or `denied`, `expired`, `cancelled`; `interrupted` when the process that approved or ran it
 * ended before the command finished (never re-run).
 */
export type ApprovalState = 'pending' | 'approved' | 'executing' | 'executed' | 'denied' | 'expired' | 'cancelled' | 'interrupted';

export const OPEN_STATES: readonly ApprovalState[] = ['pending', 'approved', 'executing'];

/** Someone who acted on a request: their identity, their person, the name messages show. */
export interface Actor {
  subject: string;
  person?: string;
  display?: string;
  at: Date;
}

export interface ApprovalRequest {
  /** `r7k2`: short enough to type. */
  _id: string;
  /** The exact command line the requester typed; it is what runs, re-read from here. */
  line: string;
  command: string;
  risk: Risk;
  target?: string;
  environment?: string;
  /** The requester as the router saw them (identity, groups, person): the command runs with these rights. */
  requester: Subject;
  /** Where it was asked (`slack`, `console`, `cli`, `scheduler`) and in which channel (`C0123`). */
  surface: string;
  askedChannel?: string;
  /** The held invocation, and the one that started it (a runbook run), if any. */
  invocationId: string;
  parentInvocationId?: string;
  /** The command's dry-run description: what will be done. */
  description: string;
  reason?: string;
  /** Which policy held it: `rules[0]`, `default`. */
  rule: string;
  approverRoles: string[];
  count: number;
  /** Outbox channels the request message is posted to (`slack:C0APPROVALS`). */
  channels: string[];
  approvals: Actor[];
  denial?: Actor & { reason?: string };
  cancelledBy?: Actor;
  createdAt: Date;
  expiresAt: Date;
  decidedAt?: Date;
  /** Set when approved: the process that will run it, and by when it must have finished. */
  owner?: AuditOwner;
  deadline?: Date;
  execution?: { invocationId?: string; startedAt: Date; finishedAt?: Date; outcome?: Outcome; code?: ErrorCode; message?: string };
  /** Why it is `interrupted`. */
  interruption?: string;
  state: ApprovalState;
  version: number;
}

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** `r` and four characters without look-alikes (no l, o, 0, 1). */
export function newRequestId(): string {
  const bytes = randomBytes(4);
  return `r${[...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/** The person when known, else the identity: two identities of one person are one approver. */
export function personKey(s: { id?: string; subject?: string; person?: string | undefined }): string {
  return s.person ? `person:${s.person}` : (s.id ?? s.subject ?? '');
}

export function actorName(a: { person?: string | undefined; display?: string | undefined; subject?: string; id?: string }): string {
  return a.person ?? a.display ?? a.subject ?? a.id ?? 'someone';
}

/** What one audit entry holds: an invocation (started, then completed), a rejection or a system event. */
import type { ErrorCode } from '../errors.js';

export type Decision = 'allowed' | 'denied' | 'invalid' | 'unknown' | 'dry-run' | 'rejected' | 'system';
export type Outcome = 'ok' | 'failed' | 'denied' | 'usage' | 'error';

/**
 * `started`: written before a write or dangerous command runs; `ok` / `failed`: how it ended;
 * `interrupted`: it never ended, because its process is gone (or it is past its deadline).
 */
export type AuditState = 'started' | 'ok' | 'failed' | 'interrupted';

/** The process that wrote a `started` entry, so another process can tell whether it is still alive. */
export interface AuditOwner {
  host: string;
  pid: number;
  /** Random per process: a new process with a reused pid (pid 1 in a container) is not the owner. */
  instance: string;
}

/** Where system entries come from (`surface` is `system` for all of them). */
export const SYSTEM_SURFACE = 'system';
export const SYSTEM_SUBJECT = 'system';

export interface AuditEntry {
  _id: string;
  /** When it started. */
  at: Date;
  invocationId: string;
  subject: string;
  /** The surface of the invocation; `system` for adapter rejections and system events. */
  surface: string;
  channel?: string;
  /** The invocation that started this one through the CommandRunner (a runbook step, an approved request). */
  parentInvocationId?: string;
  /** The approval request (`r7k2`) whose approved command this is. */
  approval?: string;
  /** The command; for system entries the action (`alert.opened`, `rejected.button`). */
  command: string;
  args: Record<string, unknown>;
  line: string;
  decision: Decision;
  state: AuditState;
  /** How it ended; absent while `started` or `interrupted`. */
  outcome?: Outcome;
  /** The stable error code when it did not end `ok`. */
  code?: ErrorCode;
  message?: string;
  durationMs?: number;
  finishedAt?: Date;
  /** Set on `started` entries: who runs it, and by when it must have ended (its timeout plus a grace). */
  owner?: AuditOwner;
  deadline?: Date;
  /** The surface a rejection came from (`discord`, `slack`). */
  origin?: string;
  /** System events: what happened, as plain data (redacted). */
  detail?: Record<string, unknown>;
  /** Compare-and-set: every change is conditioned on the version it read. */
  version: number;
}

/** A completed outcome is `ok` or `failed` as a state. */
export function stateOf(outcome: Outcome): AuditState {
  return outcome === 'ok' ? 'ok' : 'failed';
}

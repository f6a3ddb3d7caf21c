/**
 * Errors with a stable code. Only a `UserError` reaches chat with its message; anything else is
 * logged with the invocation id and the user sees a short generic message with that id, under
 * the code `internal`. The code travels through the router's result, the audit entry, the
 * metrics and `opsbot exec --json`.
 */
export const ERROR_CODES = [
  'usage',
  'unknown_command',
  'not_found',
  'denied',
  'conflict',
  'unavailable',
  'timeout',
  'invalid',
  'expired',
  'failed',
  'audit_unavailable',
  /** Held for approval: it runs when a second person approves (the request id is in `pending`). */
  'approval_pending',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error as it leaves the router: a stable code and the message the user may see. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
}

export class UserError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export const isUserError = (e: unknown): e is UserError => e instanceof UserError;

/** The stable code of anything thrown: a `UserError`'s own, `internal` for everything else. */
export function errorCodeOf(e: unknown): ErrorCode {
  return isUserError(e) ? e.code : 'internal';
}

/** What the user is told about an internal error: only that it happened and where to look. */
export function internalErrorMessage(invocationId: string): string {
  return `An internal error stopped this command. Reference: ${invocationId} (see the bot's logs).`;
}

/**
 * An error of the operating system about the environment (ENOENT, ENOTDIR, EACCES, ENOSPC from a
 * syscall): a fact about configuration or the host that the operator needs to see, not a bug.
 */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  // Duck-typed: errors made by Node's internals need not be `instanceof` this realm's Error (jest's VM modules).
  const x = e as Partial<NodeJS.ErrnoException> | null;
  return typeof x === 'object' && x !== null && typeof x.message === 'string' && typeof x.code === 'string' && typeof x.syscall === 'string';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Races a promise against a timeout; the timer never keeps the process alive. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError('timeout', `${what} timed out after ${ms}ms`)), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Errors with a stable code. Only a `UserError` reaches chat with its message; anything else is
 * logged with the invocation id and the user sees a short generic message with that id.
 */
export type ErrorCode =
  | 'usage'
  | 'not_found'
  | 'denied'
  | 'conflict'
  | 'unavailable'
  | 'timeout'
  | 'invalid'
  | 'failed';

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

/**
 * The one retry policy for chat API calls: a 429 waits for its Retry-After, a 5xx or network
 * error backs off exponentially with jitter, any other 4xx fails at once (never retried in a
 * loop: Discord bans IPs that send many invalid requests).
 */
import { ChatDeliveryError } from './chat.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** How long to wait before the next try, or undefined when the error is final. */
export function retryDelay(e: unknown, attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number | undefined {
  if (e instanceof ChatDeliveryError) {
    if (e.retryAfterMs !== undefined) return Math.min(e.retryAfterMs, policy.maxDelayMs * 4);
    if (!e.retryable) return undefined;
  }
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

export async function withDeliveryRetries<T>(
  call: () => Promise<T>,
  opts: { policy?: RetryPolicy; onRetry?: (e: unknown, attempt: number, delayMs: number) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const delay = attempt < policy.attempts ? retryDelay(e, attempt, policy) : undefined;
      if (delay === undefined) throw e;
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}

/** Classifies an HTTP failure from a chat API: 429 with Retry-After (seconds), 5xx retryable, else final. */
export function httpDeliveryError(status: number, message: string, retryAfterHeader?: string | null): ChatDeliveryError {
  if (status === 429) {
    const secs = Number(retryAfterHeader ?? '1');
    return new ChatDeliveryError(message, status, Math.max(0, Number.isFinite(secs) ? secs * 1000 : 1000), true);
  }
  return new ChatDeliveryError(message, status, undefined, status >= 500);
}

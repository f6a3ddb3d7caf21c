/**
 * Every Discord API call goes through `deliverDiscord`: discord.js's own retries are off
 * (`retries: 0`, `rejectOnRateLimit`), its errors are classified as `ChatDeliveryError`s, and the
 * one retry policy of src/core/delivery.ts decides: 429 waits for Retry-After, 5xx and network
 * errors back off, any other 4xx fails at once.
 */
import { DiscordAPIError, HTTPError, RateLimitError, type RESTOptions } from 'discord.js';
import type { Logger } from 'pino';
import { ChatDeliveryError } from '../../../core/chat.js';
import { httpDeliveryError, withDeliveryRetries, type RetryPolicy } from '../../../core/delivery.js';
import { errorMessage } from '../../../core/errors.js';

/** REST options for discord.js: our base URL, and no retrying of its own. */
export function restOptions(apiUrl: string | undefined, timeoutMs = 15_000): Partial<RESTOptions> {
  return {
    ...(apiUrl ? { api: apiUrl.replace(/\/+$/, '').replace(/\/v\d+$/, '') } : {}),
    retries: 0,
    rejectOnRateLimit: () => true,
    timeout: timeoutMs,
  };
}

export function classifyDiscordError(e: unknown): ChatDeliveryError {
  if (e instanceof ChatDeliveryError) return e;
  if (e instanceof RateLimitError) {
    const wait = Math.max(e.retryAfter, e.timeToReset, e.sublimitTimeout, 0);
    return new ChatDeliveryError(`rate limited on ${e.method} ${e.route}${e.global ? ' (global)' : ''}`, 429, wait, true);
  }
  if (e instanceof HTTPError) return httpDeliveryError(e.status, `${e.method} ${e.url}: ${e.status} ${e.message}`);
  if (e instanceof DiscordAPIError) {
    const err = new ChatDeliveryError(`${e.method} ${e.url}: ${e.status} ${e.message} (code ${e.code})`, e.status, undefined, false);
    // Discord's own JSON error code (50007: cannot message this user) stays readable behind it.
    err.cause = e;
    return err;
  }
  const code = (e as { code?: unknown }).code;
  // discord.js's own errors (InteractionAlreadyReplied, TokenInvalid…) are final; errno codes (ECONNRESET) are not theirs.
  if (typeof code === 'string' && /^[A-Z][A-Za-z]*[a-z][A-Za-z]*$/.test(code)) return new ChatDeliveryError(errorMessage(e), code, undefined, false);
  // Network errors, timeouts and resets are worth another try.
  return new ChatDeliveryError(`network: ${errorMessage(e)}`, typeof code === 'string' ? code : 'network', undefined, true);
}

export function deliverDiscord<T>(what: string, call: () => Promise<T>, opts: { log: Logger; policy?: RetryPolicy }): Promise<T> {
  return withDeliveryRetries(async () => {
    try {
      return await call();
    } catch (e) {
      throw classifyDiscordError(e);
    }
  }, {
    ...(opts.policy ? { policy: opts.policy } : {}),
    onRetry: (e, attempt, delayMs) => opts.log.warn({ what, attempt, delayMs, err: errorMessage(e), code: (e as ChatDeliveryError).code }, 'discord call failed; retrying'),
  });
}

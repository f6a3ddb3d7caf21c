/**
 * Every Slack Web API call and response_url post goes through here: the WebClient does not retry
 * by itself (retries 0, rate-limited calls rejected), its errors become ChatDeliveryError, and
 * withDeliveryRetries (src/core/delivery.ts) applies the one retry policy (429 Retry-After,
 * 5xx backoff, other 4xx final).
 */
import type { Logger as PinoLogger } from 'pino';
import { LogLevel, webApi, type Logger as SlackLogger } from '@slack/bolt';
import { ChatDeliveryError } from '../../../core/chat.js';
import { httpDeliveryError, withDeliveryRetries, type RetryPolicy } from '../../../core/delivery.js';
import { errorMessage } from '../../../core/errors.js';
import { JsonPoster } from './post-json.js';

type WebClient = InstanceType<typeof webApi.WebClient>;

/** Platform error codes (`{ok:false, error}`) that are worth another try. */
const RETRYABLE_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/** Classifies an error thrown by WebClient (or fetch) for the delivery retry policy. */
export function toDeliveryError(e: unknown, what: string): ChatDeliveryError {
  if (e instanceof ChatDeliveryError) return e;
  const err = e as { code?: string; retryAfter?: number; statusCode?: number; headers?: Record<string, string>; data?: { error?: string } };
  switch (err.code) {
    case webApi.ErrorCode.RateLimitedError:
      return new ChatDeliveryError(`${what}: rate limited by Slack`, 429, Math.max(0, (err.retryAfter ?? 1) * 1000), true);
    case webApi.ErrorCode.HTTPError: {
      const status = err.statusCode ?? 500;
      const retryAfter = err.headers?.['retry-after'] ?? null;
      return httpDeliveryError(status, `${what}: HTTP ${status}`, retryAfter);
    }
    case webApi.ErrorCode.PlatformError: {
      const code = err.data?.error ?? 'unknown_error';
      return new ChatDeliveryError(`${what}: ${code}`, code, undefined, RETRYABLE_PLATFORM_ERRORS.has(code));
    }
    case webApi.ErrorCode.RequestError:
    default:
      return new ChatDeliveryError(`${what}: ${errorMessage(e)}`, 'request_error', undefined, true);
  }
}

/** A @slack/logger Logger that writes to pino. */
export function boltLogger(log: PinoLogger): SlackLogger {
  let level: LogLevel = LogLevel.INFO;
  const fmt = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug(fmt(m)),
    info: (...m: unknown[]) => log.info(fmt(m)),
    warn: (...m: unknown[]) => log.warn(fmt(m)),
    error: (...m: unknown[]) => log.error(fmt(m)),
    setLevel: (l: LogLevel) => { level = l; },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** WebClient options: our base URL, no retries of its own, 429s rejected so our policy sees them. */
export function webClientOptions(opts: { apiUrl?: string | undefined; log: PinoLogger; timeoutMs?: number }): ConstructorParameters<typeof webApi.WebClient>[1] {
  const base = opts.apiUrl ? (opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`) : undefined;
  return {
    ...(base ? { slackApiUrl: base } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs ?? 10_000,
    logger: boltLogger(opts.log.child({ component: 'slack-web' })),
    logLevel: LogLevel.WARN,
  };
}

export interface SlackWebOptions {
  token: string;
  apiUrl?: string | undefined;
  log: PinoLogger;
  policy?: RetryPolicy;
  timeoutMs?: number;
}

export class SlackWeb {
  readonly client: WebClient;
  private readonly poster = new JsonPoster();

  constructor(private readonly opts: SlackWebOptions) {
    this.client = new webApi.WebClient(opts.token, webClientOptions(opts));
  }

  /** Runs one Web API call under the delivery retry policy. */
  async call<T>(what: string, fn: (client: WebClient) => Promise<T>, policy?: RetryPolicy): Promise<T> {
    return withDeliveryRetries(async () => {
      try {
        return await fn(this.client);
      } catch (e) {
        throw toDeliveryError(e, what);
      }
    }, {
      ...(policy ?? this.opts.policy ? { policy: policy ?? this.opts.policy } : {}),
      onRetry: (e, attempt, delayMs) => this.opts.log.warn({ call: what, attempt, delayMs, err: errorMessage(e) }, 'slack call retried'),
    });
  }

  /** Closes the keep-alive sockets of response_url posts. */
  close(): void {
    this.poster.close();
  }

  /** Posts a message body to a response_url (slash commands, interactions), under the same policy. */
  async respond(responseUrl: string, body: Record<string, unknown>): Promise<void> {
    if (!/^https?:\/\//i.test(responseUrl)) throw new ChatDeliveryError('response_url is not an http(s) URL', 'invalid_response_url');
    await withDeliveryRetries(async () => {
      let res: Awaited<ReturnType<JsonPoster['post']>>;
      try {
        res = await this.poster.post(responseUrl, body, this.opts.timeoutMs ?? 10_000);
      } catch (e) {
        throw new ChatDeliveryError(`response_url: ${errorMessage(e)}`, 'request_error', undefined, true);
      }
      if (res.status < 200 || res.status > 299) throw httpDeliveryError(res.status, `response_url: HTTP ${res.status} ${res.text.slice(0, 200)}`, res.retryAfter);
    }, {
      ...(this.opts.policy ? { policy: this.opts.policy } : {}),
      onRetry: (e, attempt, delayMs) => this.opts.log.warn({ call: 'response_url', attempt, delayMs, err: errorMessage(e) }, 'slack response retried'),
    });
  }
}

/** Slack request signing (v0): HMAC-SHA256 of `v0:<timestamp>:<raw body>`, timestamp within 5 minutes. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_CLOCK_SKEW_SECONDS = 300;

export function slackSignature(secret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** Undefined when the request is authentic and fresh, otherwise why not. */
export function verifySlackSignature(opts: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: string;
  nowMs?: number;
}): string | undefined {
  if (!opts.signature) return 'missing X-Slack-Signature';
  if (!opts.timestamp) return 'missing X-Slack-Request-Timestamp';
  if (!/^\d{1,12}$/.test(opts.timestamp)) return 'malformed X-Slack-Request-Timestamp';
  const age = Math.floor((opts.nowMs ?? Date.now()) / 1000) - Number(opts.timestamp);
  if (Math.abs(age) > MAX_CLOCK_SKEW_SECONDS) return `timestamp is ${age}s away from now (replay?)`;
  const expected = Buffer.from(slackSignature(opts.secret, opts.timestamp, opts.rawBody));
  const given = Buffer.from(opts.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature mismatch';
  return undefined;
}

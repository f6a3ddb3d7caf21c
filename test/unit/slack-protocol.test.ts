/** Request signing, Web API error classification and the app manifest. */
import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { slackSignature, verifySlackSignature } from '../../src/bot/adapters/slack/signature.js';
import { toDeliveryError } from '../../src/bot/adapters/slack/web.js';
import { slackManifest, SLACK_BOT_SCOPES } from '../../src/bot/adapters/slack/manifest.js';
import { ChatDeliveryError } from '../../src/core/chat.js';
import { retryDelay } from '../../src/core/delivery.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

describe('Slack request signature', () => {
  const now = 1_531_420_618_000;
  const ts = '1531420618';
  const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fops&text=help';

  it('matches an HMAC-SHA256 of v0:timestamp:body computed independently', () => {
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    expect(slackSignature(SECRET, ts, body)).toBe(expected);
    expect(verifySlackSignature({ secret: SECRET, signature: expected, timestamp: ts, rawBody: body, nowMs: now })).toBeUndefined();
  });

  it.each([
    ['missing signature', { signature: undefined }, /missing X-Slack-Signature/],
    ['missing timestamp', { timestamp: undefined }, /missing X-Slack-Request-Timestamp/],
    ['non-numeric timestamp', { timestamp: '12a' }, /malformed/],
    ['stale timestamp', { nowMs: now + 301_000 }, /replay/],
    ['future timestamp', { nowMs: now - 301_000 }, /replay/],
    ['other secret', { secret: 'other' }, /mismatch/],
    ['changed body', { rawBody: `${body}&x=1` }, /mismatch/],
    ['truncated signature', { signature: 'v0=abc' }, /mismatch/],
  ] as const)('refuses a %s', (_name, change, reason) => {
    const base = { secret: SECRET, signature: slackSignature(SECRET, ts, body), timestamp: ts as string | undefined, rawBody: body, nowMs: now };
    expect(verifySlackSignature({ ...base, ...change })).toMatch(reason);
  });

  it('accepts a timestamp just inside five minutes', () => {
    expect(verifySlackSignature({ secret: SECRET, signature: slackSignature(SECRET, ts, body), timestamp: ts, rawBody: body, nowMs: now + 299_000 })).toBeUndefined();
  });
});

describe('Slack Web API errors for the delivery policy', () => {
  it('a 429 waits for Retry-After', () => {
    const e = toDeliveryError({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 }, 'chat.postMessage');
    expect(e).toMatchObject({ code: 429, retryAfterMs: 7_000, retryable: true });
    expect(retryDelay(e, 1)).toBe(7_000);
  });

  it('a 5xx is retried with backoff, a 4xx is final', () => {
    const e503 = toDeliveryError({ code: 'slack_webapi_http_error', statusCode: 503, headers: {} }, 'chat.update');
    expect(e503).toMatchObject({ code: 503, retryable: true });
    expect(retryDelay(e503, 1)).toBeGreaterThan(0);
    const e400 = toDeliveryError({ code: 'slack_webapi_http_error', statusCode: 400, headers: {} }, 'chat.update');
    expect(retryDelay(e400, 1)).toBeUndefined();
  });

  it('platform errors are final except Slack-side failures; network errors are retried', () => {
    expect(retryDelay(toDeliveryError({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }, 'x'), 1)).toBeUndefined();
    expect(toDeliveryError({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }, 'x').code).toBe('channel_not_found');
    expect(toDeliveryError({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }, 'x').retryable).toBe(true);
    expect(toDeliveryError({ code: 'slack_webapi_request_error' }, 'x').retryable).toBe(true);
    expect(toDeliveryError(new ChatDeliveryError('same', 1), 'x').message).toBe('same');
  });
});

describe('Slack app manifest', () => {
  it('HTTP mode points the slash command, interactivity and events at <base>/slack/events (a path prefix kept)', () => {
    const m = slackManifest({ url: 'https://ops.example.com/base/' }) as { features: { slash_commands: { command: string; url: string }[] }; settings: Record<string, { request_url?: string } | boolean>; oauth_config: { scopes: { bot: string[] } } };
    expect(m.features.slash_commands[0]).toMatchObject({ command: '/ops', url: 'https://ops.example.com/base/slack/events' });
    expect(m.settings.interactivity).toMatchObject({ is_enabled: true, request_url: 'https://ops.example.com/base/slack/events' });
    expect(m.settings.event_subscriptions).toMatchObject({ request_url: 'https://ops.example.com/base/slack/events', bot_events: ['app_mention'] });
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(m.oauth_config.scopes.bot).toEqual(Object.keys(SLACK_BOT_SCOPES));
    expect(m.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write', 'im:write', 'usergroups:read']));
  });

  it('Socket Mode needs no URL', () => {
    const m = slackManifest({ socketMode: true, command: '/opsbot' }) as { features: { slash_commands: Record<string, unknown>[] }; settings: { socket_mode_enabled: boolean; interactivity: Record<string, unknown> } };
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.features.slash_commands[0]).not.toHaveProperty('url');
    expect(m.features.slash_commands[0]?.command).toBe('/opsbot');
    expect(m.settings.interactivity).toEqual({ is_enabled: true });
  });

  it('refuses a missing or non-https URL', () => {
    expect(() => slackManifest({})).toThrow(/--url/);
    expect(() => slackManifest({ url: 'http://ops.example.com' })).toThrow(/https/);
  });
});

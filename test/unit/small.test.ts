import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { Redactor } from '../../src/core/redact.js';
import { ChatDeliveryError } from '../../src/core/chat.js';
import { httpDeliveryError, retryDelay, withDeliveryRetries } from '../../src/core/delivery.js';
import { worstStatus } from '../../src/core/reply.js';

describe('durations', () => {
  it('parses what people type and formats back', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('1x')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1500)).toBe('1.5s');
  });
});

describe('redaction', () => {
  it('masks known secret values, token shapes, URL credentials and secret-named keys', () => {
    const r = new Redactor(['s3cr3t-value']);
    expect(r.text('using s3cr3t-value now')).toBe('using [redacted] now');
    expect(r.text('xoxb-123456-abcdef')).toBe('[redacted]');
    expect(r.text('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer [redacted]');
    expect(r.text('mongodb://admin:pw123@db:27017/x')).toBe('mongodb://admin:[redacted]@db:27017/x');
    expect(r.text('password=hunter2 user=bob')).toBe('password=[redacted] user=bob');
    expect(r.value({ user: 'bob', apiToken: 'abc', nested: [{ password: 'x' }] })).toEqual({ user: 'bob', apiToken: '[redacted]', nested: [{ password: '[redacted]' }] });
  });
});

describe('delivery retries', () => {
  it('honours Retry-After on 429, retries 5xx, never retries other 4xx', async () => {
    expect(retryDelay(httpDeliveryError(429, 'slow down', '3'), 1)).toBe(3000);
    expect(retryDelay(httpDeliveryError(500, 'oops'), 1)).toBeGreaterThan(0);
    expect(retryDelay(httpDeliveryError(400, 'bad'), 1)).toBeUndefined();

    const slept: number[] = [];
    let calls = 0;
    const result = await withDeliveryRetries(async () => {
      calls++;
      if (calls === 1) throw httpDeliveryError(429, 'rate limited', '2');
      if (calls === 2) throw httpDeliveryError(503, 'unavailable');
      return 'sent';
    }, { sleep: async (ms) => { slept.push(ms); } });
    expect(result).toBe('sent');
    expect(slept[0]).toBe(2000);
    expect(slept.length).toBe(2);

    let bad = 0;
    await expect(withDeliveryRetries(async () => { bad++; throw new ChatDeliveryError('invalid_blocks', 400); }, { sleep: async () => {} })).rejects.toThrow('invalid_blocks');
    expect(bad).toBe(1);
  });
});

describe('reply status', () => {
  it('the worst status wins', () => {
    expect(worstStatus(['ok', 'warn', 'ok'])).toBe('warn');
    expect(worstStatus(['ok', 'fail', 'warn'])).toBe('fail');
    expect(worstStatus([])).toBe('info');
  });
});

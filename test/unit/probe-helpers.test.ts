import { describe, expect, it } from '@jest/globals';
import { displayUrl, safeError, scrubberFor, urlSecrets } from '../../src/ops/connection-url.js';
import { judge, singleNumber } from '../../src/ops/probes/sql.js';
import { expiryStatus } from '../../src/ops/probes/tls.js';
import { formatBytes, parseInfo } from '../../src/ops/probes/redis.js';
import { alertsQueryUrl } from '../../src/ops/probes/alerts.js';
import { healthCheckSchema } from '../../src/config/schema.js';
import { checkName } from '../../src/ops/probes/index.js';
import { conditionSql, lookupSql, Params, ruleSql, setSql } from '../../src/ops/users/sql-text.js';
import { lookupFilter, mongoUpdate, ruleFilter } from '../../src/ops/users/mongo-backend.js';

describe('connection URLs', () => {
  it('given a URL with credentials, then the display form drops them and the query', () => {
    expect(displayUrl('mongodb+srv://app:s3cr%40t@cluster0.example.net/pixelforge-prod?retryWrites=true')).toBe('mongodb+srv://cluster0.example.net/pixelforge-prod');
    expect(displayUrl('redis://:pw@127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
    expect(urlSecrets('postgres://app:s3cr%40t@db/x')).toEqual(['app:s3cr%40t', 's3cr%40t', 's3cr@t']);
  });

  it('given an error quoting the URL, then the scrubbed message has no password, even a short or decoded one', () => {
    const scrub = scrubberFor('postgres://app:s3cr%40t@db/x', 'redis://:ab@h:1');
    expect(scrub('failed postgres://app:s3cr%40t@db/x and s3cr@t')).not.toMatch(/s3cr/);
    expect(scrub('redis://:ab@h:1 refused')).toBe('redis://:[redacted]@h:1 refused');
    expect(safeError(new Error(`multi\nline ${'x'.repeat(400)}`), (t) => t)).toHaveLength(300);
  });

  it('given a check with a password in its URL, then its default name has none', () => {
    const check = healthCheckSchema.parse({ mongo: { url: 'mongodb://u:hunter22@db:27017/app' } });
    expect(checkName(check)).toBe('mongo mongodb://db:27017/app');
  });
});

describe('probe figures', () => {
  it('given thresholds, then sql values are judged fail before warn, above and below', () => {
    expect(judge(5, { warnAbove: 10 }).status).toBe('ok');
    expect(judge(11, { warnAbove: 10, failAbove: 100 })).toEqual({ status: 'warn', why: 'above 10' });
    expect(judge(101, { warnAbove: 10, failAbove: 100 }).status).toBe('fail');
    expect(judge(0, { failBelow: 1 })).toEqual({ status: 'fail', why: 'below 1' });
    expect(singleNumber([{ count: '42' }])).toBe(42);
    expect(singleNumber([{ n: 7n }])).toBe(7);
    expect(() => singleNumber([{ a: 1, b: 2 }])).toThrow('2 columns');
    expect(() => singleNumber([{ a: null }])).toThrow('not a number');
  });

  it('given days left, then tls status follows warn and fail days', () => {
    expect(expiryStatus(30, 21, 7)).toBe('ok');
    expect(expiryStatus(21, 21, 7)).toBe('warn');
    expect(expiryStatus(7, 21, 7)).toBe('fail');
    expect(expiryStatus(0, 21, 0)).toBe('fail');
  });

  it('given INFO text, then fields are read and sizes formatted', () => {
    const info = parseInfo('# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\n\r\n# Stats\r\nkeyspace_hits:3\r\n');
    expect(info.get('used_memory')).toBe('1048576');
    expect(info.get('keyspace_hits')).toBe('3');
    expect(formatBytes(1048576)).toBe('1.0MB');
    expect(formatBytes(512)).toBe('512B');
  });

  it('given a base URL with a path, then the alerts query keeps it', () => {
    expect(alertsQueryUrl('http://am:9093/alertmanager', ['a="b"']).toString()).toBe('http://am:9093/alertmanager/api/v2/alerts?active=true&silenced=false&inhibited=false&filter=a%3D%22b%22');
  });

  it('given sizes and defaults, then the probe schemas fill them in', () => {
    const redis = healthCheckSchema.parse({ redis: { url: 'redis://h', maxUsedMemory: '1.5gb' } });
    expect(redis.redis?.maxUsedMemory).toBe(1.5 * 1024 ** 3);
    const tls = healthCheckSchema.parse({ tls: { host: 'example.org' } });
    expect(tls.tls).toEqual({ host: 'example.org', port: 443, warnDays: 21, failDays: 7, verify: true });
    expect(healthCheckSchema.safeParse({ redis: { url: 'redis://h', maxUsedMemory: 'lots' } }).success).toBe(false);
    expect(healthCheckSchema.safeParse({ tls: { host: 'x' }, redis: { url: 'redis://h' } }).success).toBe(false);
  });
});

describe('user directory queries', () => {
  it('given the PixelForge rule, then SQL and MongoDB say the same thing with values bound', () => {
    const rule = { any: [{ field: 'loginAttempts', op: 'gte' as const, value: 5 }, { field: 'accountLocked', op: 'eq' as const, value: true }] };
    const p = new Params('pg');
    expect(ruleSql(rule, p)).toBe('("loginAttempts" >= $1 OR "accountLocked" = $2)');
    expect(p.values).toEqual([5, true]);
    expect(ruleFilter(rule)).toEqual({ $or: [{ loginAttempts: { $gte: 5 } }, { accountLocked: { $in: [true] } }] });
  });

  it('given a typed user, then it is only ever a bound value', () => {
    const p = new Params('sqlite');
    expect(lookupSql(['email', 'username'], "x' OR 1=1 --", p)).toBe('("email" = ? OR "username" = ?)');
    expect(p.values).toEqual(["x' OR 1=1 --", "x' OR 1=1 --"]);
    expect(lookupFilter(['email'], '{"$gt": ""}')).toEqual({ email: { $in: ['{"$gt": ""}'] } });
  });

  it('given null and ne conditions, then SQL matches MongoDB semantics', () => {
    const p = new Params('pg');
    expect(conditionSql({ field: 'lockUntil', op: 'eq', value: null }, p)).toBe('"lockUntil" IS NULL');
    expect(conditionSql({ field: 'role', op: 'ne', value: 'admin' }, p)).toBe('("role" <> $1 OR "role" IS NULL)');
  });

  it('given an action, then SQL SET and MongoDB update match', () => {
    const change = { set: { disabled: true }, unset: ['disabledAt'] };
    const p = new Params('pg');
    expect(setSql(change, p)).toBe('"disabled" = $1, "disabledAt" = NULL');
    expect(mongoUpdate(change)).toEqual({ $set: { disabled: true }, $unset: { disabledAt: '' } });
    expect(mongoUpdate({ set: {}, unset: ['a'] })).toEqual({ $unset: { a: '' } });
  });
});

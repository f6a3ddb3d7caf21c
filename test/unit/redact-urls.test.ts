/** The one redactor also masks secrets inside URLs, headers and connection strings. */
import { describe, expect, it } from '@jest/globals';
import { Redactor } from '../../src/core/redact.js';

const r = new Redactor();

describe('Redactor: secrets inside URLs, headers and connection strings', () => {
  it.each([
    ['a token in a query string', 'GET https://api.example/v1?token=abc123def&region=eu failed', 'GET https://api.example/v1?token=[redacted]&region=eu failed'],
    ['a signature parameter', 'https://bucket.s3/x?X-Amz-Signature=0f9e8d7c&X-Amz-Date=1', 'https://bucket.s3/x?X-Amz-Signature=[redacted]&X-Amz-Date=1'],
    ['a sig parameter', 'https://blob.example/c?sv=2020&sig=Zm9vYmFy', 'https://blob.example/c?sv=2020&sig=[redacted]'],
    ['userinfo', 'postgres://app:s3cret@db:5432/x', 'postgres://app:[redacted]@db:5432/x'],
    ['userinfo without a user (Redis)', 'redis://:hunter22@cache:6379/0', 'redis://:[redacted]@cache:6379/0'],
    ['a password holding @', 'mongodb://app:p@ss@db/x', 'mongodb://app:[redacted]@db/x'],
    ['an Authorization header', 'Authorization: token ghp_abcdef', 'Authorization: [redacted]'],
    ['a Cookie header', 'Cookie: session=9f8e7d6c; theme=dark', 'Cookie: [redacted]'],
    ['an X-Api-Key header', 'X-Api-Key: k-123456789', 'X-Api-Key: [redacted]'],
    ['a key=value connection string', 'Server=db;User Id=app;Password=s3cr3t;Database=x', 'Server=db;User Id=app;Password=[redacted];Database=x'],
  ])('given %s, then the value is masked and the rest stays', (_what, input, expected) => {
    expect(r.text(input)).toBe(expected);
  });

  it('given ordinary text and URLs without secrets, then nothing changes', () => {
    for (const s of ['http://web:8080/healthz?verbose=1', 'keyword=x, monkey=1', 'Token refresh took 3s', 'see http://host:8080 or mail ops@example.com']) expect(r.text(s)).toBe(s);
  });

  it('given an object with header-named fields, then their values are masked', () => {
    expect(r.value({ headers: { Authorization: 'x', 'X-Api-Key': 'y', Cookie: 'z', accept: 'json' } })).toEqual({ headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]', Cookie: '[redacted]', accept: 'json' } });
  });
});

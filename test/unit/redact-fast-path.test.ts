/**
 * Redactor.text skips the six secret-shape passes when a one-pass hint finds nothing any of
 * them could match. That shortcut must never change a result: on random text built from the
 * pieces the patterns look for (names, separators, prefixes, in any case), the redactor gives
 * exactly what the six passes give.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Redactor, redactShapes } from '../../src/core/redact.js';

const PIECES = [
  'xoxb-', 'xoxp-', 'xoxa-', 'xox', 'abcdef123456', 'Zm9vYmFy', 'Bearer', 'Basic', 'bearer', 'BASIC',
  '//', '/', 'user', ':', '@', 'pw@ss', '?', '&', ';', '=', '#', 'token', 'sig', 'X-Amz-Signature', 'auth', 'session', 'key',
  'Authorization', 'Proxy-Authorization', 'cookie', 'Set-Cookie', 'password', 'Passwd', 'PWD', 'secret', 'DB_', 'app.', 'X-',
  'api-key', 'api_key', 'apikey', 'access_key', 'credentials', 'credential', '"', "'", ' ', '  ', '\t', '\n', ',', 'é', '😀',
  'http://host:8080/x', 'postgres://app:s3cret@db:5432/x', 'health all', '--dry-run', '[redacted]',
];

const caseOf = (s: string, how: number) => (how === 0 ? s : how === 1 ? s.toUpperCase() : s.toLowerCase());
const NAMES = ['token', 'sig', 'signature', 'auth', 'session', 'key', 'password', 'pwd', 'secret', 'api-key', 'access_key', 'credentials', 'authorization', 'cookie', 'set-cookie', 'Bearer', 'xoxb', 'user'];
/** A near-secret: a prefix, a name, a separator and a value, so every pattern's trigger comes up often. */
const shape = fc.tuple(
  fc.constantFrom('', '?', '&', ';', ' ', '//', 'DB_', 'X-', '"'),
  fc.constantFrom(...NAMES),
  fc.constantFrom('', '=', ':', ' = ', '": "', '-', ' ', ':pw@', '\n'),
  fc.constantFrom('', 'abcdef123456', 'x', '"v"', '[redacted]'),
  fc.integer({ min: 0, max: 2 }),
).map(([a, name, sep, value, how]) => caseOf(`${a}${name}${sep}${value}`, how));
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...PIECES), fc.integer({ min: 0, max: 2 })).map(([p, how]) => caseOf(p, how)) },
  { weight: 3, arbitrary: shape },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
);
const text = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));

/** Redactor.text as it was before the shortcut: known secrets, then all six passes. */
function reference(secrets: string[], input: string): string {
  let out = input;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return redactShapes(out);
}

describe('Redactor.text: the shortcut past the six secret-shape passes', () => {
  it('given random text made of the pieces secrets are recognised by, when redacted, then the result is what the six passes give', () => {
    const r = new Redactor();
    fc.assert(fc.property(text, (s) => { expect(r.text(s)).toBe(redactShapes(s)); }), { numRuns: 20_000 });
  });

  it('given known secret values too, when redacted, then the result is what the full path gives', () => {
    const secrets = ['hunter22', 'xoxb-1234-abcd', 's3cret'];
    const r = new Redactor(secrets);
    const withSecrets = fc.array(fc.oneof(piece, fc.constantFrom(...secrets)), { maxLength: 12 }).map((p) => p.join(''));
    fc.assert(fc.property(withSecrets, (s) => { expect(r.text(s)).toBe(reference(secrets, s)); }), { numRuns: 5_000 });
  });

  it('given text with one secret shape, when redacted, then it is masked (the shortcut does not skip it)', () => {
    const r = new Redactor();
    expect(r.text('token: abc123')).toBe('token: [redacted]');
    expect(r.text('see xoxb-123456789 now')).toBe('see [redacted] now');
    expect(r.text('Authorization: Bearer abcdef123')).toBe('Authorization: Bearer [redacted]');
    expect(r.text('https://x/y?sig=abc')).toBe('https://x/y?sig=[redacted]');
    expect(r.text('redis://:pw@cache')).toBe('redis://:[redacted]@cache');
  });

  it('given the help table text, when redacted, then it is returned as it is', () => {
    const r = new Redactor();
    for (const s of ['health <target|all> [--dry-run]', 'backup run|list|verify|status', '4 subcommands: help backup', 'Every command accepts --dry-run.']) expect(r.text(s)).toBe(s);
  });
});

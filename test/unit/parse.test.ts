import { describe, expect, it } from '@jest/globals';
import { bindArgs, ParseError, stripPrefix, tokenize } from '../../src/bot/parse.js';
import { suggest } from '../../src/core/suggest.js';
import type { ParamSpec } from '../../src/core/command.js';

const params: ParamSpec[] = [
  { name: 'target', kind: 'positional', type: 'string', description: 't', required: true },
  { name: 'reason', kind: 'positional', type: 'string', description: 'r', rest: true },
  { name: 'lines', kind: 'flag', type: 'number', description: 'n' },
  { name: 'follow', kind: 'flag', type: 'boolean', description: 'f' },
];

describe('tokenize', () => {
  it('given quotes and escapes, then splits like a shell would, without running anything', () => {
    expect(tokenize(`silence a1 "disk is full" "it's" 'say "hi"' "a \\"q\\""`)).toEqual(['silence', 'a1', 'disk is full', "it's", 'say "hi"', 'a "q"']);
    expect(tokenize('a\\ b  c')).toEqual(['a b', 'c']);
    expect(tokenize('x ""')).toEqual(['x', '']);
    expect(tokenize('  ')).toEqual([]);
  });

  it('given injection attempts, then they stay plain data tokens', () => {
    expect(tokenize('health web; rm -rf /')).toEqual(['health', 'web;', 'rm', '-rf', '/']);
    expect(tokenize('health $(id) `id`')).toEqual(['health', '$(id)', '`id`']);
    expect(tokenize('logs "web\nevil"')).toEqual(['logs', 'web\nevil']);
  });

  it('given an unclosed quote, then it is a parse error', () => {
    expect(() => tokenize('silence "oops')).toThrow(ParseError);
  });

  it('strips an optional leading /ops', () => {
    expect(stripPrefix(['/ops', 'health'])).toEqual(['health']);
    expect(stripPrefix(['health'])).toEqual(['health']);
  });
});

describe('bindArgs', () => {
  it('binds positionals, rest, flags with = or a separate value, and --dry-run', () => {
    const r = bindArgs(['web', 'the', 'reason', '--lines', '5', '--follow', '--dry-run'], params);
    expect(r).toEqual({ values: { target: 'web', reason: 'the reason', lines: '5', follow: true }, dryRun: true });
    expect(bindArgs(['web', '--lines=7'], params).values).toEqual({ target: 'web', lines: '7' });
  });

  it('given -- then later dashes are data', () => {
    expect(bindArgs(['web', '--', '--lines'], params).values).toEqual({ target: 'web', reason: '--lines' });
  });

  it('rejects unknown flags, a flag without value, missing required and extra positionals', () => {
    expect(() => bindArgs(['web', '--bogus'], params)).toThrow(/unknown option --bogus/);
    expect(() => bindArgs(['web', '--lines'], params)).toThrow(/needs a value/);
    expect(() => bindArgs([], params)).toThrow(/missing <target>/);
    expect(() => bindArgs(['a', 'b'], [params[0] as ParamSpec])).toThrow(/unexpected argument "b"/);
  });
});

describe('bindArgs: number arguments', () => {
  const counted: ParamSpec[] = [
    { name: 'count', kind: 'positional', type: 'number', description: 'c' },
    { name: 'lines', kind: 'flag', type: 'number', description: 'n' },
  ];
  it('given a word where a number belongs, then the error names the argument and quotes the word', () => {
    expect(() => bindArgs(['--lines', 'abc'], counted)).toThrow("--lines: expected a number, got 'abc'");
    expect(() => bindArgs(['--lines='], counted)).toThrow("--lines: expected a number, got ''");
    expect(() => bindArgs(['ten'], counted)).toThrow("<count>: expected a number, got 'ten'");
  });
  it('given numbers, then they pass through for the schema to judge', () => {
    expect(bindArgs(['3', '--lines', '-5'], counted).values).toEqual({ count: '3', lines: '-5' });
  });
});

describe('suggest', () => {
  it('suggests the closest name, or nothing when nothing is close', () => {
    expect(suggest('helth', ['health', 'help', 'audit'])).toBe('health');
    expect(suggest('aud', ['health', 'audit'])).toBe('audit');
    expect(suggest('zzzzzz', ['health', 'audit'])).toBeUndefined();
  });
});

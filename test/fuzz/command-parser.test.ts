/**
 * Fuzzing the command-line grammar every surface shares: no string makes the tokenizer or the
 * argument binder throw anything but ParseError, and the quoting used by Discord's slash options
 * and by runbook templating reads back through the tokenizer as exactly the quoted value.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { bindArgs, ParseError, stripPrefix, tokenize } from '../../src/bot/parse.js';
import type { ParamSpec } from '../../src/core/command.js';
import { quoteToken } from '../../src/bot/adapters/discord/commands.js';
import { joinArgv, quoteArg, renderArgv } from '../../src/core/runbooks/template.js';
import { UserError } from '../../src/core/errors.js';

const RUNS = { numRuns: 400 };

/** Strings rich in the characters the grammar gives meaning to. */
const grammarChars = fc.constantFrom(' ', '\t', '\n', '"', "'", '\\', '-', '--', '=', 'a', 'b', '1', '.', 'é', '\u0000', '\u202e', '😀');
const lineLike = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(grammarChars, { maxLength: 60 }).map((parts) => parts.join('')),
);

const PARAMS: ParamSpec[] = [
  { name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' },
  { name: 'count', kind: 'positional', type: 'number', description: 'count' },
  { name: 'lines', kind: 'flag', type: 'number', description: 'lines' },
  { name: 'follow', kind: 'flag', type: 'boolean', description: 'follow' },
  { name: 'since', kind: 'flag', type: 'string', description: 'since' },
];
const REST: ParamSpec[] = [{ name: 'text', kind: 'positional', type: 'string', rest: true, description: 'free text' }];

function onlyParseError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
  }
}

describe('command parser under arbitrary input', () => {
  it('given any string, when tokenized and bound to a command\'s params, then it returns or throws a ParseError with a message, nothing else', () => {
    fc.assert(fc.property(lineLike, (line) => {
      onlyParseError(() => {
        const tokens = stripPrefix(tokenize(line));
        for (const t of tokens) expect(typeof t).toBe('string');
        onlyParseError(() => bindArgs(tokens, PARAMS));
        onlyParseError(() => bindArgs(tokens, REST));
        onlyParseError(() => bindArgs(tokens, []));
      });
    }), RUNS);
  });

  it('given any token array, when bound, then flags and positionals never leak into each other after `--`', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('--dry-run', '--as', '--reason', '--lines', '--follow', '--')), { maxLength: 12 }), (tokens) => {
      onlyParseError(() => {
        const parsed = bindArgs(['--', ...tokens], REST);
        // After a leading `--` every token is text: no router flag can be set from it.
        expect(parsed.dryRun).toBe(false);
        expect(parsed.as).toBeUndefined();
        expect(parsed.reason).toBeUndefined();
        if (tokens.length) expect(parsed.values.text).toBe(tokens.join(' '));
      });
    }), RUNS);
  });

  it('given a line whose quotes are balanced by construction, when tokenized, then it never throws', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 10 }), (values) => {
      expect(() => tokenize(values.map(quoteArg).join(' '))).not.toThrow();
    }), RUNS);
  });
});

describe('quoting round-trips through the tokenizer', () => {
  it('given any value, when Discord quotes a slash option, then the tokenizer reads back exactly that one value', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 })), (value) => {
      expect(tokenize(quoteToken(value))).toEqual([value]);
    }), RUNS);
  });

  it('given any value starting with "-", when Discord quotes it, then it is quoted, so it is never read as an option', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (rest) => {
      const quoted = quoteToken(`-${rest}`);
      expect(quoted.startsWith('"')).toBe(true);
      expect(bindArgs(['--', ...tokenize(quoted)], REST).values.text).toBe(`-${rest}`);
    }), RUNS);
  });

  it('given any argv, when a runbook joins it into a line, then the tokenizer gives back the same argv', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 8 }), (argv) => {
      expect(tokenize(joinArgv(argv))).toEqual(argv);
    }), RUNS);
  });

  it('given a template and arbitrary values, when rendered, then each template word stays one argument or a UserError names the value', () => {
    const template = 'logs {{target}} --since {{since}} prefix-{{target}}-suffix';
    fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (target, since) => {
      let argv: string[];
      try {
        argv = renderArgv(template, { target, since });
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return;
      }
      const back = tokenize(joinArgv(argv));
      expect(back).toEqual(['logs', target, '--since', since, `prefix-${target}-suffix`]);
      expect(target.startsWith('-')).toBe(false);
    }), RUNS);
  });
});

describe('a quoted value cannot reach beyond its argument', () => {
  it('given hostile values, when quoted and bound after `--`, then no router flag is set', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('--dry-run', '--as=root', 'a" --dry-run "b', "x' --as admin '")), { minLength: 1, maxLength: 6 }), (values) => {
      const parsed = bindArgs(['--', ...tokenize(values.map(quoteToken).join(' '))], REST);
      expect(parsed.dryRun).toBe(false);
      expect(parsed.as).toBeUndefined();
      expect(parsed.values.text).toBe(values.join(' '));
    }), RUNS);
  });
});

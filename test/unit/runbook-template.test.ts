/** Templating: every substituted value is exactly one argument for the command tokenizer. */
import { describe, expect, it } from '@jest/globals';
import { tokenize } from '../../src/bot/parse.js';
import { placeholdersOf, renderArgv, renderLine } from '../../src/core/runbooks/template.js';

describe('runbook templating', () => {
  it.each([
    'x; restart db',
    'a" --dry-run "b',
    "it's \\ back\\slash",
    'two  spaces\tand tab',
    '$(id) `id` ../../etc/passwd',
  ])('given the value %j, when rendered, then the tokenizer reads it back as one argument', (value) => {
    const line = renderLine('logs {{target}} --grep {{labels.pattern}}', { target: value.replace(/^-/, ''), 'labels.pattern': value });
    expect(tokenize(line)).toEqual(['logs', value, '--grep', value]);
  });

  it('given a value inside a word, then the word stays one argument', () => {
    expect(tokenize(renderLine('logs web --grep=err:{{v}}', { v: 'a b; c' }))).toEqual(['logs', 'web', '--grep=err:a b; c']);
  });

  it('given a whole-word value that reads as an option, then it is refused', () => {
    expect(() => renderArgv('restart {{target}}', { target: '--dry-run' })).toThrow(/starts with "-"/);
  });

  it('given a value with a line break or no value, then it is refused', () => {
    expect(() => renderArgv('restart {{target}}', { target: 'a\nrestart db' })).toThrow(/line break/);
    expect(() => renderArgv('restart {{target}}', {})).toThrow(/no value for \{\{target\}\}/);
  });

  it('lists the placeholders of a template once each', () => {
    expect(placeholdersOf('a {{x}} {{ labels.job }} {{x}}')).toEqual(['x', 'labels.job']);
  });
});

/**
 * Templating of a step's command line. The template comes from config and is split into words;
 * `{{name}}` is replaced inside a word by a value (a param, an alert label or annotation), and
 * each resulting word is quoted so the command tokenizer reads it back as exactly ONE argument:
 * a value can never add arguments, options or commands (`x; restart db`, `a" --dry-run "b`).
 */
import { UserError } from '../errors.js';

/** Words `runbook` has as subcommands: no runbook may be named so. */
export const RESERVED_RUNBOOK_NAMES = ['list', 'show', 'cancel', 'resume'];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** The placeholder names a template uses, in order, each once. */
export function placeholdersOf(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (!out.includes(m[1] as string)) out.push(m[1] as string);
  return out;
}

/** A word the command tokenizer (src/bot/parse.ts) reads back as exactly `value`. */
export function quoteArg(value: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Splits a config template into words (plain whitespace; templates carry no quotes of their own). */
function words(template: string): string[] {
  return template.trim().split(/\s+/).filter(Boolean);
}

/**
 * The argument vector of a step: each template word with its placeholders filled. A word that is
 * only a placeholder and whose value would read as an option (`--dry-run`, `-x`) is refused.
 */
export function renderArgv(template: string, values: Readonly<Record<string, string>>): string[] {
  return words(template).map((word) => {
    const whole = /^\{\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}$/.test(word);
    const out = word.replace(PLACEHOLDER, (_, name: string) => {
      const v = values[name];
      if (v === undefined) throw new UserError('usage', `no value for {{${name}}}`);
      if (/[\r\n\0]/.test(v)) throw new UserError('invalid', `the value of {{${name}}} contains a line break or NUL`);
      return v;
    });
    if (whole && out.startsWith('-')) throw new UserError('invalid', `the value of {{${word.slice(2, -2).trim()}}} ("${out.slice(0, 40)}") starts with "-" and would read as an option`);
    if (whole && out === '') throw new UserError('invalid', `the value of {{${word.slice(2, -2).trim()}}} is empty`);
    return out;
  });
}

/** One command line from argv: every element quoted as one argument. */
export function joinArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/** The command line of a step with its values. */
export function renderLine(template: string, values: Readonly<Record<string, string>>): string {
  return joinArgv(renderArgv(template, values));
}

/**
 * Command-line grammar shared by every surface: words, 'single' and "double" quoted arguments,
 * backslash escapes, `--flag value`, `--flag=value`, and the router's own flags on every command:
 * `--dry-run`, `--reason "…"` (why; approvals may require it), `--as <person>` (console only).
 * Nothing here is ever executed.
 */
import type { ParamSpec } from '../core/command.js';

export class ParseError extends Error {}

export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (quote) throw new ParseError(`unclosed ${quote} quote`);
  if (inToken) tokens.push(cur);
  return tokens;
}

/** The leading `/ops` (or `ops`) of a chat command is optional everywhere. */
export function stripPrefix(tokens: string[]): string[] {
  const first = tokens[0]?.toLowerCase();
  return first === '/ops' || first === 'ops' ? tokens.slice(1) : tokens;
}

export interface ParsedArgs {
  values: Record<string, unknown>;
  dryRun: boolean;
  /** `--reason "…"`: why (shown on an approval request). */
  reason?: string;
  /** `--as <person>`: act as that person (the router allows it on the console only). */
  as?: string;
}

/** Flags the router reads on every command (a command's own flag of the same name wins). */
const ROUTER_FLAGS = ['dry-run', 'reason', 'as'];

/** A `number` param's value must read as one; the schema still judges its range. */
function checkNumber(spec: ParamSpec, label: string, value: string): string {
  if (spec.type === 'number' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
    throw new ParseError(`${label}: expected a number, got '${value}'`);
  }
  return value;
}

/** Maps tokens to named values by a command's params. Types are left to the command's zod schema. */
export function bindArgs(tokens: string[], params: ParamSpec[]): ParsedArgs {
  const values: Record<string, unknown> = {};
  const positionals = params.filter((p) => p.kind === 'positional');
  const flags = new Map(params.filter((p) => p.kind === 'flag').map((p) => [p.name, p]));
  const free: string[] = [];
  let dryRun = false;
  const router: { reason?: string; as?: string } = {};
  let literal = false;

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    if (literal || !tok.startsWith('--') || tok === '--') {
      if (tok === '--' && !literal) literal = true;
      else free.push(tok);
      continue;
    }
    const eq = tok.indexOf('=');
    const name = tok.slice(2, eq === -1 ? undefined : eq);
    if (name === 'dry-run') {
      dryRun = true;
      continue;
    }
    if ((name === 'reason' || name === 'as') && !flags.has(name)) {
      const value = eq === -1 ? tokens[++i] : tok.slice(eq + 1);
      if (value === undefined || value.trim() === '') throw new ParseError(`option --${name} needs a value (${name === 'as' ? 'PERSON' : '"why"'})`);
      router[name] = value;
      continue;
    }
    const spec = flags.get(name);
    if (!spec) {
      const known = [...new Set([...flags.keys(), ...ROUTER_FLAGS])].map((f) => `--${f}`).join(', ');
      throw new ParseError(`unknown option --${name} (options: ${known})`);
    }
    if (spec.type === 'boolean') {
      values[name] = eq === -1 ? true : tok.slice(eq + 1);
      continue;
    }
    const value = eq === -1 ? tokens[++i] : tok.slice(eq + 1);
    if (value === undefined) throw new ParseError(`option --${name} needs a value (${spec.placeholder ?? spec.name.toUpperCase()})`);
    values[name] = checkNumber(spec, `--${name}`, value);
  }

  positionals.forEach((p, idx) => {
    if (idx >= free.length) return;
    values[p.name] = p.rest ? free.slice(idx).join(' ') : checkNumber(p, `<${p.name}>`, free[idx] as string);
  });
  const max = positionals.some((p) => p.rest) ? Infinity : positionals.length;
  if (free.length > max) {
    throw new ParseError(`unexpected argument "${free[max]}"`);
  }
  for (const p of positionals) {
    if (p.required && values[p.name] === undefined) throw new ParseError(`missing <${p.name}>`);
  }
  return { values, dryRun, ...router };
}

export { suggest } from '../core/suggest.js';

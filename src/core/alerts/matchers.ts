/**
 * Alertmanager label matchers: `name="value"`, `name!=value`, `name=~"regex"`, `name!~"regex"`.
 * Semantics follow Alertmanager: regexes are anchored (`^(?:re)$`), a missing label is the empty
 * string (so `team=""` matches alerts without `team`, and `team!=""` requires it).
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled for `=~` / `!~`. */
  re?: RegExp;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    return raw.slice(1, -1).replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
  }
  if (raw.startsWith('"') || raw.endsWith('"')) throw new Error(`unbalanced quotes in matcher value ${raw}`);
  return raw;
}

export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) throw new Error(`Invalid matcher "${text}" (use name="value", name!="value", name=~"regex" or name!~"regex")`);
  const [, name, op, raw] = m as unknown as [string, string, MatchOp, string];
  const value = unquote(raw);
  if (op === '=~' || op === '!~') {
    try {
      return { name, op, value, re: new RegExp(`^(?:${value})$`, 's') };
    } catch (e) {
      throw new Error(`Invalid regex in matcher "${text}": ${(e as Error).message}`);
    }
  }
  return { name, op, value };
}

export function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return (m.re as RegExp).test(v);
    case '!~': return !(m.re as RegExp).test(v);
  }
}

export function matchesAll(ms: readonly Matcher[], labels: Record<string, string>): boolean {
  return ms.every((m) => matches(m, labels));
}

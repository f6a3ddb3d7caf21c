/**
 * Loads the configuration: YAML → `${ENV}` substitution → zod. Every problem is reported with its
 * key path (`targets.web.health[0].http.url: Invalid URL`); nothing half-valid is returned.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { envSchema, type Env } from './env.js';
import { SECRET_KEY } from '../core/redact.js';

export class ConfigError extends Error {
  constructor(public readonly source: string, public readonly problems: string[]) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type PathPart = string | number | symbol;

export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(part))) out += `[${JSON.stringify(String(part))}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: PathPart[] = []): string[] {
  return issues.map((i) => `${formatPath([...prefix, ...i.path])}: ${i.message}`);
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const PLACEHOLDER = /opsbot_env_ref_(\d+)_/g;
/**
 * A secret's value as it must be written: `${NAME}`, optionally after an auth scheme (`Bearer
 * ${API_TOKEN}`); a default may only be empty (`${NAME:-}`): `${NAME:-hunter2}` is a literal secret.
 */
const SECRET_FROM_ENV = /^(?:[A-Za-z][A-Za-z0-9-]* +)?\$\{[A-Za-z_][A-Za-z0-9_]*(?::-)?\}$/;

/**
 * `${...}` is not valid YAML everywhere (`{ host: ${DB} }` opens a flow map), so references are
 * swapped for plain placeholders before parsing and resolved per value afterwards — which also
 * keeps an environment value from ever changing the YAML structure.
 */
export function protectRefs(text: string): { text: string; refs: string[] } {
  const refs: string[] = [];
  return { text: text.replace(REF, (m) => `opsbot_env_ref_${refs.push(m) - 1}_`), refs };
}

export interface EnvReference {
  name: string;
  set: boolean;
  /** Whether some use gives a `${NAME:-default}` fallback. */
  hasDefault: boolean;
  /** Keys that reference it without a default while it is unset. */
  unsetAt: string[];
}

/** The variables a config references in its values (not its comments), by name, in order of first use. */
export type EnvReferences = Map<string, EnvReference>;

/** Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, problems: string[], path: PathPart[] = [], refs: string[] = [], uses: EnvReferences = new Map()): unknown {
  if (typeof value === 'string') {
    const key = path[path.length - 1];
    const text = value.replace(PLACEHOLDER, (_m, i: string) => refs[Number(i)] ?? '');
    if (typeof key === 'string' && SECRET_KEY.test(key) && text && !SECRET_FROM_ENV.test(text.trim())) {
      problems.push(`${formatPath(path)}: secrets must come from the environment: write \${SOME_VARIABLE}, not the value`);
    }
    return text.replace(REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      const set = v !== undefined && v !== '';
      const use = uses.get(name) ?? { name, set, hasDefault: false, unsetAt: [] };
      uses.set(name, use);
      if (fallback !== undefined) use.hasDefault = true;
      if (set) return v;
      if (fallback !== undefined) return fallback;
      use.unsetAt.push(formatPath(path));
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, problems, [...path, i], refs, uses));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, problems, [...path, k], refs, uses)]));
  }
  return value;
}

const UNSET = 'unset: ';
const READS = 'this file reads the environment variables ';

/**
 * One problem per unset variable (not one per key that uses it, nor the follow-up "Invalid URL"
 * of the empty value), then the list of every variable the file reads.
 */
function unsetProblems(uses: EnvReferences): string[] {
  const unset = [...uses.values()].filter((u) => u.unsetAt.length);
  if (unset.length === 0) return [];
  return [
    ...unset.map((u) => `${UNSET}${u.name} (needed by ${u.unsetAt.join(', ')})`),
    `${READS}${[...uses.keys()].join(', ')}; set ${unset.map((u) => u.name).join(', ')} (or give a default: \${NAME:-value})`,
  ];
}

/** Whether a problem is only that a variable is unset in the environment the file was read with (not a problem of the file). */
export function isUnsetVariableProblem(problem: string): boolean {
  return problem.startsWith(UNSET) || problem.startsWith(READS);
}

/**
 * The key path of a schema issue in the YAML as written: a schema that accepts one item or a list
 * (`backups: {…}` for `backups: [{…}]`) reports `backups[0]` where the file has `backups`.
 */
function rawPathOf(raw: unknown, path: readonly PathPart[]): PathPart[] {
  const out: PathPart[] = [];
  let cur = raw;
  for (const part of path) {
    if (typeof part === 'number' && !Array.isArray(cur)) continue;
    out.push(part);
    cur = cur && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[part as PropertyKey] : undefined;
  }
  return out;
}

export interface ParsedConfig {
  config: Config;
  /** The environment variables the file reads, for `validate-config` to list. */
  references: EnvReference[];
}

/** No config section needs more; deeper trees (and alias cycles) are refused before they are walked. */
const MAX_CONFIG_DEPTH = 32;

/** A YAML library failure (a parser stack overflow, an unresolved alias) as a ConfigError. */
function yamlStep<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ConfigError(source, [`YAML: ${e instanceof RangeError ? 'nested too deep' : (e as Error).message.split('\n')[0]}`]);
  }
}

/** The path of the first value nested deeper than `max`, walking without recursion. */
function deeperThan(value: unknown, max: number): PathPart[] | undefined {
  const stack: { v: unknown; path: PathPart[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop() as { v: unknown; path: PathPart[] };
    if (!v || typeof v !== 'object') continue;
    if (path.length >= max) return path;
    for (const [k, child] of Object.entries(v)) stack.push({ v: child, path: [...path, Array.isArray(v) ? Number(k) : k] });
  }
  return undefined;
}

export function parseConfigDetailed(text: string, source: string, env: NodeJS.ProcessEnv): ParsedConfig {
  const protectedText = protectRefs(text);
  const doc = yamlStep(source, () => parseDocument(protectedText.text, { prettyErrors: true }));
  if (doc.errors.length) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const problems: string[] = [];
  const uses: EnvReferences = new Map();
  // Unresolved or excessive aliases throw from toJS; a self-referencing alias makes a cycle.
  const tree: unknown = yamlStep(source, () => doc.toJS() as unknown) ?? {};
  const tooDeep = deeperThan(tree, MAX_CONFIG_DEPTH);
  if (tooDeep) throw new ConfigError(source, [`${formatPath(tooDeep)}: nested deeper than ${MAX_CONFIG_DEPTH} levels (or an alias that contains itself)`]);
  const raw = substituteEnv(tree, env, problems, [], protectedText.refs, uses);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    // A key whose value is empty because its variable is unset was already reported as such.
    const unsetPaths = new Set([...uses.values()].flatMap((u) => u.unsetAt));
    problems.push(...formatIssues(parsed.error.issues.filter((i) => !unsetPaths.has(formatPath(rawPathOf(raw, i.path))))));
  }
  problems.push(...unsetProblems(uses));
  if (problems.length || !parsed.success) throw new ConfigError(source, problems);
  return { config: parsed.data, references: [...uses.values()] };
}

export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv): Config {
  return parseConfigDetailed(text, source, env).config;
}

export async function loadConfigDetailed(file: string, env: NodeJS.ProcessEnv): Promise<ParsedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? `file not found (set OPSBOT_CONFIG or pass a path)` : `cannot read: ${code ?? String(e)}`]);
  }
  return parseConfigDetailed(text, file, env);
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv): Promise<Config> {
  return (await loadConfigDetailed(file, env)).config;
}

/**
 * An empty variable counts as unset: docker-compose's `${NAME:-}` and `NAME=` in an env file pass
 * empty strings, and "not configured" is what they mean.
 */
export function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

export function parseEnv(env: NodeJS.ProcessEnv): Env {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) throw new ConfigError('environment', formatIssues(parsed.error.issues));
  return parsed.data;
}

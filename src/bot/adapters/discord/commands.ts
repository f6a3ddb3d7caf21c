/**
 * The `/ops` application command, generated from the command registry: one subcommand per
 * command, multi-word names as subcommand groups (`backup run` → group `backup`, subcommand
 * `run`), typed options from each command's params, choices or autocomplete. Also the reverse:
 * a chosen subcommand and its options back to a command line in the console's grammar.
 */
import { ApplicationCommandOptionType as T, ApplicationCommandType, type APIApplicationCommandBasicOption, type APIApplicationCommandSubcommandOption, type APIApplicationCommandSubcommandGroupOption, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { AnyCommand, ParamSpec } from '../../../core/command.js';
import { DISCORD_LIMITS as L, COMMAND_NAME, clip } from './limits.js';

export const DRY_RUN_OPTION = 'dry-run';

/** What one subcommand path (`health`, `backup run`) runs, and what each option name means. */
export interface CommandRoute {
  command: string;
  /** Option name → the param it fills; `dry-run` is the flag every command accepts. */
  options: Map<string, ParamSpec | typeof DRY_RUN_OPTION>;
  /** The free-text subcommand: its one option is a whole command line. */
  freeText?: boolean;
}

export interface OpsCommandPlan {
  json: RESTPostAPIChatInputApplicationCommandsJSONBody;
  routes: Map<string, CommandRoute>;
  /** Commands without their own subcommand (Discord's limits); still reachable through the free-text subcommand. */
  omitted: string[];
}

export function discordName(raw: string): string {
  return raw.toLowerCase().trim().replace(/\s+/g, '-').replace(/[^-_\p{L}\p{N}]/gu, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, L.commandName);
}

const describe = (text: string, fallback: string) => clip((text || fallback).replace(/\s+/g, ' ').trim() || fallback, L.commandDescription);

function optionFor(name: string, p: ParamSpec): APIApplicationCommandBasicOption {
  const base = { name, description: describe(`${p.description}${p.rest ? ' (rest of the line)' : ''}`, p.name), required: Boolean(p.required) };
  if (p.type === 'boolean') return { ...base, type: T.Boolean };
  if (p.type === 'number') {
    const nums = (p.choices ?? []).map(Number).filter(Number.isFinite);
    return { ...base, type: T.Number, ...(nums.length && nums.length <= L.choices ? { choices: nums.map((n) => ({ name: String(n), value: n })) } : {}) };
  }
  const choices = p.choices ?? [];
  if (choices.length && choices.length <= L.choices && choices.every((c) => c.length >= 1 && c.length <= L.choiceValue)) {
    return { ...base, type: T.String, choices: choices.map((c) => ({ name: clip(c, L.choiceName), value: c })) };
  }
  // Many choices, or names known at run time (targets, alerts…): autocomplete.
  return { ...base, type: T.String, ...(choices.length || p.complete ? { autocomplete: true } : {}) };
}

/** The router-level `--reason` (approvals may require it), offered on every command that changes something. */
const REASON_PARAM: ParamSpec = { name: 'reason', kind: 'flag', type: 'string', description: 'Why (shown on an approval request; some need one)' };

function subcommand(cmd: AnyCommand, name: string): { json: APIApplicationCommandSubcommandOption; route: CommandRoute } {
  const options = new Map<string, ParamSpec | typeof DRY_RUN_OPTION>();
  const built: APIApplicationCommandBasicOption[] = [];
  const withReason = cmd.risk !== 'read' && !cmd.params.some((p) => discordName(p.name) === REASON_PARAM.name);
  for (const p of [...cmd.params, ...(withReason ? [REASON_PARAM] : [])]) {
    const n = discordName(p.name);
    if (!COMMAND_NAME.test(n) || options.has(n) || n === DRY_RUN_OPTION || built.length >= L.optionsPerCommand - 1) continue;
    options.set(n, p);
    built.push(optionFor(n, p));
  }
  // Discord wants required options first; the line is rebuilt from names, so order is free.
  built.sort((a, b) => Number(Boolean(b.required)) - Number(Boolean(a.required)));
  built.push({ type: T.Boolean, name: DRY_RUN_OPTION, description: 'Only say what it would do; do nothing', required: false });
  options.set(DRY_RUN_OPTION, DRY_RUN_OPTION);
  return {
    json: { type: T.Subcommand, name, description: describe(cmd.summary, cmd.name), options: built },
    route: { command: cmd.name, options },
  };
}

const FREE_TEXT_NAMES = ['run', 'line', 'cli'];

/**
 * Discord allows 25 subcommands and groups under `/ops`, and opsbot has more command families:
 * these single-word commands are offered inside a related family instead (`/ops approvals
 * approve`, `/ops silence unsilence`, `/ops oncall escalate`). The typed grammar is unchanged.
 */
export const DISCORD_FOLDS: Readonly<Record<string, string>> = {
  approve: 'approvals',
  deny: 'approvals',
  silences: 'silence',
  unsilence: 'silence',
  escalate: 'oncall',
};

/** The subcommand name of a family's own command next to its subcommands (`/ops runbook start`); else `show`. */
const SELF_NAMES: Readonly<Record<string, string>> = {
  runbook: 'start',
  approvals: 'list',
  jobs: 'list',
  maintenance: 'start',
  silence: 'alert',
};

export function buildOpsCommand(commands: readonly AnyCommand[], opts: { name?: string; description?: string } = {}): OpsCommandPlan {
  const routes = new Map<string, CommandRoute>();
  const omitted: string[] = [];
  const byFirst = new Map<string, { single?: AnyCommand; multi: AnyCommand[] }>();
  const folds = new Map<AnyCommand, string>();
  for (const c of commands) {
    const folded = DISCORD_FOLDS[c.name];
    const first = discordName(folded ?? c.name.split(' ')[0] ?? '');
    const entry = byFirst.get(first) ?? { multi: [] };
    if (folded) folds.set(c, `${folded} ${c.name}`);
    if (c.name.includes(' ') || folded) entry.multi.push(c);
    else entry.single = c;
    byFirst.set(first, entry);
  }
  const pathOf = (c: AnyCommand) => folds.get(c) ?? c.name;
  const freeName = FREE_TEXT_NAMES.find((n) => !byFirst.has(n)) as string;
  const top: (APIApplicationCommandSubcommandOption | APIApplicationCommandSubcommandGroupOption)[] = [];
  for (const [first, { single, multi }] of byFirst) {
    const members = [...(single ? [single] : []), ...multi];
    if (!COMMAND_NAME.test(first) || top.length >= L.optionsPerCommand - 1) {
      omitted.push(...members.map((c) => c.name));
      continue;
    }
    if (multi.length === 0 && single) {
      const s = subcommand(single, first);
      top.push(s.json);
      routes.set(first, s.route);
      continue;
    }
    const subs: APIApplicationCommandSubcommandOption[] = [];
    const subName = (c: AnyCommand) => discordName(pathOf(c).split(' ').slice(1).join('-'));
    const taken = new Set(multi.map(subName));
    const entries: [AnyCommand, string][] = multi.map((c) => [c, subName(c)]);
    // `oncall` next to `oncall override`: the plain command becomes `oncall show`.
    if (single) entries.unshift([single, [SELF_NAMES[single.name], 'show', 'default', 'get'].find((n) => n !== undefined && !taken.has(n)) ?? 'self']);
    const used = new Set<string>();
    for (const [c, n] of entries) {
      if (!COMMAND_NAME.test(n) || used.has(n) || subs.length >= L.optionsPerCommand) {
        omitted.push(c.name);
        continue;
      }
      used.add(n);
      const s = subcommand(c, n);
      subs.push(s.json);
      routes.set(`${first} ${n}`, s.route);
    }
    top.push({ type: T.SubcommandGroup, name: first, description: describe(`${[...used].join(', ')}`, first), options: subs });
  }
  top.push({
    type: T.Subcommand,
    name: freeName,
    description: 'Run any opsbot command line, as typed in the console',
    options: [{ type: T.String, name: 'command', description: 'The command line, e.g. "logs web --lines 50"', required: true, autocomplete: true }],
  });
  routes.set(freeName, { command: '', options: new Map(), freeText: true });
  const json: RESTPostAPIChatInputApplicationCommandsJSONBody = {
    name: opts.name ?? 'ops',
    type: ApplicationCommandType.ChatInput,
    description: clip(opts.description ?? 'opsbot: health, backups, alerts, on-call and more', L.commandDescription),
    options: top,
  };
  fitCommandSize(json, routes, omitted);
  return { json, routes, omitted };
}

type AnyOption = { type?: number; name: string; description: string; options?: AnyOption[]; choices?: { name: string; value: string | number }[] };

/** Characters Discord counts against a command's combined limit: names, descriptions, choices. */
export function commandSize(c: AnyOption): number {
  return c.name.length + c.description.length
    + (c.choices ?? []).reduce((n, ch) => n + ch.name.length + String(ch.value).length, 0)
    + (c.options ?? []).reduce((n, o) => n + commandSize(o), 0);
}

function eachOption(c: AnyOption, depth: number, fn: (o: AnyOption, depth: number) => void): void {
  for (const o of c.options ?? []) {
    fn(o, depth);
    eachOption(o, depth + 1, fn);
  }
}

/**
 * Keeps the command within Discord's combined-size limit: shorter descriptions first (options,
 * then subcommands), and only then subcommands dropped from the end (still reachable by `run`).
 */
function fitCommandSize(json: RESTPostAPIChatInputApplicationCommandsJSONBody, routes: Map<string, CommandRoute>, omitted: string[]): void {
  const root = json as unknown as AnyOption;
  const fits = () => commandSize(root) <= L.commandTotal;
  const isSub = (o: AnyOption) => o.type === T.Subcommand || o.type === T.SubcommandGroup;
  for (const max of [60, 40, 24, 12, 1]) {
    if (fits()) return;
    eachOption(root, 0, (o) => { if (!isSub(o)) o.description = clip(o.description, max); });
    if (fits()) return;
    if (max <= 40) eachOption(root, 0, (o) => { if (isSub(o)) o.description = clip(o.description, max + 20); });
  }
  const top = root.options ?? [];
  while (commandSize(root) > L.commandTotal && top.length > 1) {
    const dropped = top.splice(top.length - 2, 1)[0] as AnyOption;
    for (const [path, r] of routes) {
      if (path === dropped.name || path.startsWith(`${dropped.name} `)) {
        omitted.push(r.command);
        routes.delete(path);
      }
    }
  }
}

/** An option as an interaction carries it (discord.js `interaction.options.data` has this shape). */
export interface InteractionOption {
  name: string;
  type: number;
  value?: string | number | boolean | undefined;
  focused?: boolean | undefined;
  options?: readonly InteractionOption[] | undefined;
}

export class OptionsError extends Error {}

/** The subcommand path and its leaf options: `backup run` + `[target]`. */
export function resolvePath(data: readonly InteractionOption[]): { path: string; leaf: readonly InteractionOption[] } {
  const first = data[0];
  if (!first) return { path: '', leaf: [] };
  if (first.type === T.SubcommandGroup) {
    const sub = first.options?.[0];
    return { path: `${first.name} ${sub?.name ?? ''}`.trim(), leaf: sub?.options ?? [] };
  }
  if (first.type === T.Subcommand) return { path: first.name, leaf: first.options ?? [] };
  return { path: '', leaf: data };
}

/** A token the console tokenizer reads back as exactly `value`. */
export function quoteToken(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) && !value.startsWith('-') ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The command line a slash command stands for. Flags come first, then `--`, then positionals, so
 * no option value is ever read as a flag (`--dry-run` typed into a text box stays text).
 */
export function lineFromOptions(plan: OpsCommandPlan, data: readonly InteractionOption[]): string {
  const { path, leaf } = resolvePath(data);
  const route = plan.routes.get(path);
  if (!route) throw new OptionsError(`\`/${plan.json.name} ${path}\` is not a command of this bot (the registered commands are out of date: run \`opsbot discord-register\`).`);
  if (route.freeText) return String(leaf.find((o) => o.name === 'command')?.value ?? '');
  const values = new Map(leaf.map((o) => [o.name, o.value]));
  const flags: string[] = [];
  const positionals: string[] = [];
  let missing: string | undefined;
  for (const [name, spec] of route.options) {
    const v = values.get(name);
    if (spec === DRY_RUN_OPTION) {
      if (v === true) flags.push('--dry-run');
      continue;
    }
    if (spec.kind === 'flag') {
      if (v === undefined) continue;
      if (spec.type === 'boolean') {
        if (v === true) flags.push(`--${spec.name}`);
      } else flags.push(`--${spec.name}`, quoteToken(String(v)));
      continue;
    }
    if (v === undefined || v === '') {
      missing ??= spec.name;
      continue;
    }
    if (missing) throw new OptionsError(`Give \`${missing}\` too when you give \`${spec.name}\`.`);
    positionals.push(quoteToken(String(v)));
  }
  return [route.command, ...flags, ...(positionals.length ? ['--', ...positionals] : [])].join(' ');
}

/** The param behind the focused option of an autocomplete interaction. */
export function focusedParam(plan: OpsCommandPlan, data: readonly InteractionOption[]): { route: CommandRoute; param?: ParamSpec; value: string } | undefined {
  const { path, leaf } = resolvePath(data);
  const route = plan.routes.get(path);
  const focused = leaf.find((o) => o.focused);
  if (!route || !focused) return undefined;
  const spec = route.options.get(focused.name);
  return { route, ...(spec && spec !== DRY_RUN_OPTION ? { param: spec } : {}), value: String(focused.value ?? '') };
}

/** The `/ops` application command generated from the registry, and options back to command lines. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { z } from 'zod';
import { defineCommand, type AnyCommand, type ParamSpec } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';
import { buildOpsCommand, lineFromOptions, OptionsError, type InteractionOption } from '../../src/bot/adapters/discord/commands.js';
import { bindArgs, stripPrefix, tokenize } from '../../src/bot/parse.js';
import { commandProblems, rebuildWithDiscordJs } from '../support/discord-limits.js';
import { startTestBot, type TestBot } from '../support/bot.js';

const cmd = (name: string, params: ParamSpec[] = [], summary = `Does ${name}`): AnyCommand => defineCommand({
  name, summary, params, schema: z.object({}).passthrough(), risk: 'read', run: async () => textReply(name, 'ok', ''),
});
const target: ParamSpec = { name: 'target', kind: 'positional', type: 'string', description: 'Target name', required: true, complete: 'target' };

/** The command surface of the README (Chat commands), as the other modules declare it. */
const DESIGN_COMMANDS: AnyCommand[] = [
  cmd('help', [{ name: 'command', kind: 'positional', type: 'string', rest: true, description: 'A command name', complete: 'command' }]),
  cmd('health', [{ ...target, required: false }]), cmd('checklist', [{ ...target, required: false }]), cmd('status', [{ ...target, required: false }]),
  cmd('restart', [target]),
  cmd('logs', [target, { name: 'lines', kind: 'flag', type: 'number', description: 'How many lines', placeholder: 'N' }, { name: 'grep', kind: 'flag', type: 'string', description: 'Only lines with this text' }]),
  ...['run', 'list', 'verify', 'status'].map((s) => cmd(`backup ${s}`, [target])),
  cmd('restore', [target, { name: 'backup-id', kind: 'positional', type: 'string', description: 'Backup id', required: true }]),
  ...['unlock', 'disable', 'enable', 'locked', 'unlock-all'].map((s) => cmd(`user ${s}`, [target, { name: 'user', kind: 'positional', type: 'string', description: 'User name' }])),
  cmd('alerts'), cmd('ack', [{ name: 'alert', kind: 'positional', type: 'string', description: 'Alert id', required: true, complete: 'alert' }]),
  cmd('resolve', [{ name: 'alert', kind: 'positional', type: 'string', description: 'Alert id', required: true, complete: 'alert' }]),
  cmd('silence', [{ name: 'alert', kind: 'positional', type: 'string', description: 'Alert id', required: true }, { name: 'duration', kind: 'positional', type: 'string', description: 'How long', required: true, choices: ['15m', '1h', '4h', '1d'] }, { name: 'reason', kind: 'positional', type: 'string', description: 'Why', rest: true }]),
  cmd('oncall', [{ name: 'schedule', kind: 'positional', type: 'string', description: 'Schedule', complete: 'schedule' }]),
  cmd('oncall override', [{ name: 'schedule', kind: 'positional', type: 'string', description: 'Schedule', required: true }, { name: 'user', kind: 'positional', type: 'string', description: 'Who', required: true }, { name: 'duration', kind: 'positional', type: 'string', description: 'How long', required: true }]),
  cmd('escalate', [{ name: 'alert', kind: 'positional', type: 'string', description: 'Alert id', required: true }]),
  cmd('approve', [{ name: 'request', kind: 'positional', type: 'string', description: 'Request id', required: true, complete: 'request' }]),
  cmd('deny', [{ name: 'request', kind: 'positional', type: 'string', description: 'Request id', required: true }, { name: 'reason', kind: 'positional', type: 'string', description: 'Why', rest: true }]),
  cmd('audit', [{ name: 'limit', kind: 'flag', type: 'number', description: 'How many' }, { name: 'user', kind: 'flag', type: 'string', description: 'Only this subject' }]),
  cmd('runbook', [{ name: 'name', kind: 'positional', type: 'string', description: 'Runbook', required: true, complete: 'runbook' }, target]),
];

describe('/ops command definition', () => {
  let t: TestBot;
  beforeAll(async () => { t = await startTestBot({ yaml: 'targets: {}\n', http: false }); });
  afterAll(async () => { await t.stop(); });

  it('is valid by Discord\'s limits for the bot\'s full registry, with a route for every command', () => {
    // Given the registry of a real bot
    const plan = buildOpsCommand(t.bot.registry.all());
    // Then Discord would accept the definition, by our reading and by discord.js's builders
    expect(commandProblems(plan.json as never)).toEqual([]);
    expect(() => rebuildWithDiscordJs(plan.json as never)).not.toThrow();
    // And every command can be reached by its own subcommand
    expect(plan.omitted).toEqual([]);
    const routed = new Set([...plan.routes.values()].map((r) => r.command));
    for (const c of t.bot.registry.all()) expect(routed).toContain(c.name);
  });

  it('offers the router-level reason on every command that changes something, and reads it back as --reason', () => {
    const plan = buildOpsCommand(t.bot.registry.all());
    const restart = (plan.json.options ?? []).find((o) => o.name === 'restart') as { options: { name: string }[] };
    expect(restart.options.map((o) => o.name)).toEqual(['target', 'reason', 'dry-run']);
    const health = (plan.json.options ?? []).find((o) => o.name === 'health') as { options: { name: string }[] };
    expect(health.options.map((o) => o.name)).not.toContain('reason');
    const line = lineFromOptions(plan, [{ name: 'restart', type: 1, options: [{ name: 'target', type: 3, value: 'web' }, { name: 'reason', type: 3, value: 'kernel "patch" 1' }] }]);
    const restartCmd = t.bot.registry.all().find((c) => c.name === 'restart') as AnyCommand;
    const bound = bindArgs(stripPrefix(tokenize(line)).slice(1), restartCmd.params);
    expect(bound).toMatchObject({ values: { target: 'web' }, reason: 'kernel "patch" 1' });
  });

  it('gives the whole command surface of the design subcommands and groups within the limits', () => {
    const plan = buildOpsCommand(DESIGN_COMMANDS);
    expect(commandProblems(plan.json as never)).toEqual([]);
    expect(() => rebuildWithDiscordJs(plan.json as never)).not.toThrow();
    expect(plan.omitted).toEqual([]);
    expect(plan.routes.get('backup run')?.command).toBe('backup run');
    expect(plan.routes.get('user unlock-all')?.command).toBe('user unlock-all');
    // `oncall` lives next to `oncall override` as `oncall show`
    expect(plan.routes.get('oncall show')?.command).toBe('oncall');
    expect(plan.routes.get('oncall override')?.command).toBe('oncall override');
    expect(plan.routes.get('run')?.freeText).toBe(true);
    const silence = (plan.json.options ?? []).find((o) => o.name === 'silence') as { options: { name: string; required: boolean; choices?: unknown[] }[] };
    // Required options come first, choices are offered, and every command takes dry-run
    expect(silence.options.map((o) => [o.name, o.required])).toEqual([['alert', true], ['duration', true], ['reason', false], ['dry-run', false]]);
    expect(silence.options[1]?.choices).toHaveLength(4);
  });

  it('stays valid when a registry breaks every limit, keeping overflow reachable through `run`', () => {
    // Given 40 top-level commands, one group of 30, 30 params, 40 choices, odd names and long texts
    const long = 'x'.repeat(300);
    const many: AnyCommand[] = [
      ...Array.from({ length: 40 }, (_, i) => cmd(`Cmd.${i}`, [], long)),
      ...Array.from({ length: 30 }, (_, i) => cmd(`fleet op${i}`, [target], long)),
      cmd('wide', Array.from({ length: 30 }, (_, i): ParamSpec => ({ name: `Param ${i}!`, kind: i % 2 ? 'flag' : 'positional', type: i % 3 ? 'string' : 'number', description: long, required: i === 29 }))),
      cmd('choosy', [{ name: 'pick', kind: 'positional', type: 'string', description: long, choices: Array.from({ length: 40 }, (_, i) => `choice-${i}`) }]),
    ];
    const plan = buildOpsCommand(many);
    expect(commandProblems(plan.json as never)).toEqual([]);
    expect(() => rebuildWithDiscordJs(plan.json as never)).not.toThrow();
    expect(plan.omitted.length).toBeGreaterThan(0);
    expect(plan.routes.get('run')?.freeText).toBe(true);
    // Every command is either routed or listed as omitted
    const routed = new Set([...plan.routes.values()].map((r) => r.command));
    for (const c of many) expect(routed.has(c.name) || plan.omitted.includes(c.name)).toBe(true);
  });
});

describe('options back to a command line', () => {
  const logs = cmd('logs', [
    target,
    { name: 'user', kind: 'positional', type: 'string', description: 'who' },
    { name: 'reason', kind: 'positional', type: 'string', description: 'why', rest: true },
    { name: 'lines', kind: 'flag', type: 'number', description: 'n' },
    { name: 'grep', kind: 'flag', type: 'string', description: 'text' },
    { name: 'follow', kind: 'flag', type: 'boolean', description: 'follow' },
  ]);
  const plan = buildOpsCommand([logs, cmd('backup run', [target])]);
  const sub = (name: string, options: InteractionOption[]): InteractionOption[] => [{ name, type: 1, options }];

  it('reads back as exactly the values chosen, whatever they contain', () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
    fc.assert(fc.property(text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }), fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), fc.boolean(), fc.boolean(),
      (tgt, user, reason, lines, grep, follow, dry) => {
        const options: InteractionOption[] = [{ name: 'target', type: 3, value: tgt }];
        if (user !== undefined) options.push({ name: 'user', type: 3, value: user });
        if (reason !== undefined && user !== undefined) options.push({ name: 'reason', type: 3, value: reason });
        if (lines !== undefined) options.push({ name: 'lines', type: 10, value: lines });
        if (grep !== undefined) options.push({ name: 'grep', type: 3, value: grep });
        options.push({ name: 'follow', type: 5, value: follow }, { name: 'dry-run', type: 5, value: dry });
        const line = lineFromOptions(plan, sub('logs', options));
        const tokens = stripPrefix(tokenize(line));
        expect(tokens[0]).toBe('logs');
        const bound = bindArgs(tokens.slice(1), logs.params);
        expect(bound.dryRun).toBe(dry);
        expect(bound.values).toEqual({
          target: tgt,
          ...(user ? { user } : {}),
          ...(reason && user ? { reason } : {}),
          ...(lines !== undefined ? { lines: String(lines) } : {}),
          ...(grep !== undefined ? { grep } : {}),
          ...(follow ? { follow: true } : {}),
        });
      }), { numRuns: 300 });
  });

  it('maps a subcommand group back to its multi-word command', () => {
    expect(lineFromOptions(plan, [{ name: 'backup', type: 2, options: [{ name: 'run', type: 1, options: [{ name: 'target', type: 3, value: 'db' }] }] }])).toBe('backup run -- db');
  });

  it('refuses a later positional without an earlier one, and an unknown subcommand', () => {
    expect(() => lineFromOptions(plan, sub('logs', [{ name: 'target', type: 3, value: 'web' }, { name: 'reason', type: 3, value: 'x' }]))).toThrow(OptionsError);
    expect(() => lineFromOptions(plan, sub('gone', []))).toThrow(/discord-register/);
  });

  it('passes the free-text subcommand through as typed', () => {
    expect(lineFromOptions(plan, sub('run', [{ name: 'command', type: 3, value: 'logs web --lines 5' }]))).toBe('logs web --lines 5');
  });
});

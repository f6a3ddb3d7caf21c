#!/usr/bin/env node
/**
 * The `opsbot` command line: `start` (default), `exec`, `validate-config`, `reload`, `demo`, and the platform helpers.
 * Exit codes: 0 ok, 1 failed, 2 usage error, 78 bad configuration, 130 stopped by a second signal.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, isUnsetVariableProblem, loadConfigDetailed, loadConfigFile, parseEnv } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Env } from './config/env.js';
import { createBot, type Bot } from './main.js';
import { renderConsole } from './bot/adapters/console/render.js';
import { errorMessage } from './core/errors.js';
import { suggest } from './core/suggest.js';
import type { RouterResult } from './core/invocation.js';
import { slackManifest } from './bot/adapters/slack/manifest.js';
import { stringify as toYaml } from 'yaml';
import path from 'node:path';
import { DEMO_ALERT, demoAlertCommand, demoBanner, prepareDemo } from './demo/index.js';
import { ReloadSignals, serveReloads, type Reloads } from './wiring/reload/process.js';
import { reloadCommand } from './wiring/reload/command.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78, forced: 130 } as const;

async function loadAll(file?: string): Promise<{ env: Env; config: Config }> {
  const env = parseEnv(process.env);
  const config = await loadConfigFile(file ?? env.OPSBOT_CONFIG, process.env);
  return { env, config };
}

function fail(e: unknown): never {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(EXIT.config);
  }
  process.stderr.write(`opsbot: ${errorMessage(e)}\n`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  process.exit(EXIT.failed);
}

/** The console surface on a terminal: the same rule main.ts uses (no chat surface configured). */
function terminalConsole(env: Env): boolean {
  const chat = Boolean(env.SLACK_BOT_TOKEN && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN)) || Boolean(env.DISCORD_TOKEN);
  return !chat && Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** What `opsbot demo` adds around a running bot: its own command, a banner, its app to stop afterwards. */
interface ServeHooks {
  /** Before start: register further commands. */
  register?(bot: Bot): void;
  /** Before start, when the config is loaded (the console prints its prompt after). */
  beforeStart?(bot: Bot): void;
  started?(port: number): void;
  /** After the bot stopped (or failed to start). */
  stopped?(): Promise<void>;
}

/** On a terminal the console is the user's screen: logs stay at warn unless LOG_LEVEL says otherwise. */
function quietTerminal(): boolean {
  const quiet = !process.env.LOG_LEVEL && terminalConsole(parseEnv(process.env));
  if (quiet) process.env.LOG_LEVEL = 'warn';
  return quiet;
}

async function start(opts: { config?: string }): Promise<void> {
  const quiet = quietTerminal();
  const { env, config } = await loadAll(opts.config);
  await serve(env, config, quiet, {}, opts.config ?? env.OPSBOT_CONFIG);
}

async function serve(env: Env, config: Config, quiet: boolean, hooks: ServeHooks = {}, configFile?: string): Promise<void> {
  // SIGHUP (and `opsbot reload`) reloads the config file (src/wiring/reload/); heard from now on, so one during the start does not end the process.
  const signals = configFile ? new ReloadSignals() : undefined;
  const bot = await createBot({ config, env, rawEnv: process.env });
  hooks.register?.(bot);
  let reloads: Reloads | undefined;
  // No reload once the bot stops: the one under way finishes first, and `opsbot reload` no longer finds this process.
  const beforeStop = async () => { signals?.stop(bot.log); await reloads?.close(); };
  const afterStop = async () => { await hooks.stopped?.(); };
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`opsbot: ${signal} again, stopping now without waiting\n`);
      process.exit(EXIT.forced);
    }
    stopping = true;
    bot.log.info({ signal }, 'signal received');
    if (process.stderr.isTTY) process.stderr.write(`\nopsbot: stopping (waits up to ${Math.round(config.bot.shutdownTimeout / 1000)}s for running commands; ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again stops at once)\n`);
    const force = setTimeout(() => process.exit(EXIT.failed), config.bot.shutdownTimeout + 5000);
    force.unref();
    beforeStop().then(() => bot.stop()).then(afterStop).then(() => process.exit(EXIT.ok), (e) => fail(e));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (quiet) process.stdout.write('(logs: warnings and errors only on this terminal; LOG_LEVEL=info shows all)\n');
  hooks.beforeStart?.(bot);
  try {
    const { port } = await bot.start();
    if (configFile && signals && !stopping) reloads = await serveReloads(bot, { file: configFile, dataDir: env.OPSBOT_DATA_DIR, env: () => process.env, validate: (c) => commandProblems(c, env), signals });
    hooks.started?.(port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    await beforeStop().catch(() => undefined);
    await bot.stop().catch(() => undefined);
    await afterStop().catch(() => undefined);
    if (code === 'EADDRINUSE') fail(new Error(`port ${env.PORT} is already in use (set PORT to another port)`));
    fail(e);
  }
}

/** The demo's environment: the embedded store in the demo folder and the console; no outside store or chat. */
const NOT_FOR_THE_DEMO = /^(MONGODB_URL|REDIS_URL|SLACK_.*|DISCORD_.*|ALERTMANAGER_URL)$/;

async function demo(): Promise<void> {
  // The demo is always the console (chat variables are ignored): on a terminal, logs stay at warn.
  const quiet = !process.env.LOG_LEVEL && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (quiet) process.env.LOG_LEVEL = 'warn';
  const dataDir = parseEnv(process.env).OPSBOT_DATA_DIR;
  const prepared = await prepareDemo({ dataDir, node: process.execPath, searchPath: process.env.PATH });
  const raw = Object.fromEntries(Object.entries(process.env).filter(([k]) => !NOT_FOR_THE_DEMO.test(k)));
  let env: Env;
  let config: Config;
  try {
    env = parseEnv({ ...raw, OPSBOT_DATA_DIR: path.join(prepared.dir, 'store') });
    config = await loadConfigFile(prepared.configFile, raw);
  } catch (e) {
    await prepared.app.stop();
    throw e;
  }
  const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  let port: number | undefined;
  await serve(env, config, quiet, {
    register: (bot) => bot.registry.register(demoAlertCommand({
      webhookUrl: () => (port ? `http://${host.includes(':') ? `[${host}]` : host}:${port}/webhooks/alertmanager` : undefined),
      token: env.WEBHOOK_TOKEN ?? config.alerting.webhookToken,
      openGroup: async () => (await bot.alerts.listOpen(50)).find((g) => g.groupLabels.alertname === DEMO_ALERT)?._id,
    })),
    beforeStart: () => process.stdout.write(demoBanner(prepared, env.PORT)),
    started: (p) => { port = p; },
    stopped: () => prepared.app.stop(),
  });
}

async function exec(words: string[], opts: { config?: string; json?: boolean }): Promise<void> {
  // One-shot runs print the result on stdout; logs stay quiet unless LOG_LEVEL asks for them.
  if (!process.env.LOG_LEVEL) process.env.LOG_LEVEL = 'warn';
  const { env, config } = await loadAll(opts.config);
  const bot = await createBot({ config, env, rawEnv: process.env, http: false, console: false });
  try {
    bot.checkRbac();
  } catch (e) {
    await bot.stop();
    throw e;
  }
  // Progress of a long operation goes to stderr on a terminal, so stdout stays the result alone.
  const progress = process.stderr.isTTY ? (text: string) => { process.stderr.write(`… ${text}\n`); } : undefined;
  const handled = await bot.router.handle({ subject: bot.consoleSubject, surface: 'cli', line: words.join(' '), ...(progress ? { progress } : {}) });
  // Held for approval: nothing ran yet, so a script must not read success; the request id is printed.
  const result: RouterResult = handled.pending
    ? { ...handled, error: { code: 'approval_pending', message: `held for approval: request ${handled.pending.approval} (\`approve ${handled.pending.approval}\`)` } }
    : handled;
  process.stdout.write(execOutput(result, { json: Boolean(opts.json), colour: Boolean(process.stdout.isTTY) }));
  // The stable code on stderr, for scripts that read the exit code and want to know why.
  if (result.error) process.stderr.write(`opsbot: ${result.error.code}: ${result.error.message}\n`);
  await bot.stop();
  process.exitCode = exitCodeOf(result);
}

function exitCodeOf(result: Pick<RouterResult, 'outcome' | 'pending'>): number {
  if (result.pending) return EXIT.failed;
  return result.outcome === 'ok' ? EXIT.ok : result.outcome === 'usage' ? EXIT.usage : EXIT.failed;
}

/**
 * What `exec` prints: `--json` the router's result (`invocationId`, `command`, `outcome`, `error`,
 * `reply`); machine output (`audit --export jsonl`) as it is; anything else rendered as in the console.
 */
function execOutput(result: RouterResult, opts: { json: boolean; colour: boolean }): string {
  if (opts.json) return `${JSON.stringify(result, null, 2)}\n`;
  const machine = result.reply.blocks.find((b) => b.type === 'code' && b.language === 'jsonl');
  if (machine && machine.type === 'code') return machine.text ? `${machine.text}\n` : '';
  return `${renderConsole(result.reply, { colour: opts.colour, maxCell: 120 })}\n`;
}

/**
 * Command names in roles, approvals rules, jobs and runbooks are checked against the registry,
 * which only a bot has: one is built offline (in-memory store, no Redis, MongoDB, HTTP, chat or
 * console) and stopped again.
 */
async function commandProblems(config: Config, env: Env): Promise<string[]> {
  const { MONGODB_URL: _m, REDIS_URL: _r, SLACK_BOT_TOKEN: _sb, SLACK_SIGNING_SECRET: _ss, SLACK_APP_TOKEN: _sa, DISCORD_TOKEN: _d, ...offline } = env;
  const bot = await createBot({ config, env: { ...offline, LOG_LEVEL: 'silent' }, rawEnv: process.env, http: false, console: false, memoryStore: true });
  try {
    return bot.commandProblems();
  } finally {
    await bot.stop();
  }
}

/** `opsbot reload`: every bot on this data folder reloads its config file (src/wiring/reload/command.ts). */
async function reload(opts: { timeout: string }): Promise<void> {
  const seconds = Number(opts.timeout);
  if (!(seconds > 0)) {
    process.stderr.write(`opsbot reload: --timeout takes a number of seconds, not "${opts.timeout}"\n`);
    process.exit(EXIT.usage);
  }
  const env = parseEnv(process.env);
  process.exitCode = await reloadCommand({
    dataDir: env.OPSBOT_DATA_DIR,
    validate: async (file) => {
      try {
        const config = await loadConfigFile(file, process.env);
        return await commandProblems(config, env);
      } catch (e) {
        // A variable unset in this shell is the bot's to resolve (its own environment): the bot validates the file fully and answers.
        if (e instanceof ConfigError) return e.problems.filter((p) => !isUnsetVariableProblem(p));
        throw e;
      }
    },
    out: process.stdout, err: process.stderr, timeoutMs: seconds * 1000,
  });
}

async function validate(file: string | undefined): Promise<void> {
  const env = parseEnv(process.env);
  const source = file ?? env.OPSBOT_CONFIG;
  const { config, references } = await loadConfigDetailed(source, process.env);
  const problems = await commandProblems(config, env);
  if (problems.length) throw new ConfigError(source, problems);
  const targets = Object.keys(config.targets);
  const checks = Object.values(config.targets).reduce((n, t) => n + t.health.length, 0);
  process.stdout.write(`${source}: valid — ${targets.length} target(s) (${targets.join(', ') || 'none'}), ${checks} health check(s), ${Object.keys(config.rbac.roles).length} role(s)\n`);
  if (references.length) process.stdout.write(`environment: ${references.map((r) => `${r.name} (${r.set ? 'set' : 'unset, default used'})`).join(', ')}\n`);
}

async function discordRegister(opts: { config?: string; guild?: string; print?: boolean }): Promise<void> {
  const { env, config } = await loadAll(opts.config);
  const bot = await createBot({ config, env, rawEnv: process.env, http: false, console: false, memoryStore: true });
  // discord.js is loaded only for this command (and by a bot with DISCORD_TOKEN).
  const [{ buildOpsCommand }, { describePlan, registerOpsCommand }] = await Promise.all([import('./bot/adapters/discord/commands.js'), import('./bot/adapters/discord/register.js')]);
  try {
    const plan = buildOpsCommand(bot.registry.all());
    if (opts.print) {
      process.stdout.write(`${JSON.stringify(plan.json, null, 2)}\n`);
      return;
    }
    const missing = (['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'] as const).filter((k) => !env[k]);
    if (missing.length) {
      process.stderr.write(`opsbot discord-register: set ${missing.join(' and ')} (see README, "Connect to Discord")\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    const { scope, command } = await registerOpsCommand({
      token: env.DISCORD_TOKEN as string,
      applicationId: env.DISCORD_APPLICATION_ID as string,
      guildId: opts.guild ?? env.DISCORD_GUILD_ID,
      apiUrl: env.DISCORD_API_URL,
      plan,
      log: bot.log,
    });
    process.stdout.write(`Registered /${command.name} (id ${command.id}) in ${scope}:\n${describePlan(plan).map((l) => `  ${l}`).join('\n')}\n`);
    if (plan.omitted.length) process.stdout.write(`Without a subcommand of their own (Discord limits; use /${plan.json.name} run): ${plan.omitted.join(', ')}\n`);
  } finally {
    await bot.stop();
  }
}

function unknownCliWord(program: Command, word: string): never {
  const guess = suggest(word, program.commands.map((c) => c.name()));
  const hint = guess ? `Did you mean 'opsbot ${guess}'?` : `A bot command runs with: opsbot exec "${word} …"`;
  process.stderr.write(`opsbot: unknown command '${word}'. ${hint}\n\n`);
  process.stderr.write(program.helpInformation());
  process.exit(EXIT.usage);
}

export function buildProgram(): Command {
  const program = new Command('opsbot')
    .description('Chat-ops bot: Alertmanager webhooks and chat commands that operate real systems.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', `
Environment: OPSBOT_CONFIG, OPSBOT_DATA_DIR, PORT, HOST, LOG_LEVEL, SLACK_*, DISCORD_*, MONGODB_URL,
REDIS_URL, DOCKER_HOST, ALERTMANAGER_URL, WEBHOOK_TOKEN (see README).
Exit codes: 0 ok, 1 failed, 2 usage error, 78 invalid configuration.`);

  program.command('start', { isDefault: true })
    .description('Run the bot: HTTP server, chat surfaces (console when none is configured)')
    .option('-c, --config <file>', 'configuration file (default: $OPSBOT_CONFIG or config/default.yaml)')
    // `opsbot nosuch` lands here as the default command: answer it as an unknown command.
    .allowExcessArguments(true)
    .hook('preAction', (cmd) => {
      if (cmd.args.length) unknownCliWord(program, cmd.args[0] as string);
    })
    .action(start);

  const execCommand = program.command('exec')
    .description('Run one command and exit: 0 when it passes, 1 when it fails, 2 on a usage error')
    .argument('<command...>', 'the command line, e.g. "health all"')
    .option('-c, --config <file>', 'configuration file')
    .option('--json', 'print the result as JSON')
    .allowUnknownOption(true)
    // The command's own flags (`--lines`, `--dry-run`) pass through; only a leading --help is exec's.
    .helpOption(false)
    .addHelpText('after', `
Examples:
  opsbot exec "health all"
  opsbot exec --json "backup list stormforge"
  opsbot exec "restart web --dry-run"
  opsbot exec help            the bot's command list`)
    .action(exec);
  execCommand.hook('preAction', (cmd) => {
    if (cmd.args[0] === '--help' || cmd.args[0] === '-h') {
      cmd.outputHelp();
      process.exit(EXIT.ok);
    }
  });

  program.command('demo')
    .description('Create a small local app under $OPSBOT_DATA_DIR/demo (SQLite users, a supervised HTTP service, a log) and run the bot on it in the console')
    .action(demo);

  program.command('validate-config')
    .description('Check a configuration file and list every problem with its key path')
    .argument('[file]', 'configuration file (default: $OPSBOT_CONFIG or config/default.yaml)')
    .action(validate);

  program.command('reload')
    .description('Reload the config file of every bot running on $OPSBOT_DATA_DIR (as SIGHUP does): validated first, applied or refused per process')
    .option('--timeout <seconds>', 'how long to wait for each bot to answer', '30')
    .action(reload);

  program.command('slack-manifest')
    .description('Print a Slack app manifest (slash command, scopes, request URLs or Socket Mode) to paste into "Create New App"')
    .option('--url <base>', 'public https base URL of the bot; Slack calls <base>/slack/events')
    .option('--socket', 'Socket Mode (no public URL; set SLACK_APP_TOKEN)')
    .option('--name <name>', 'app and bot name', 'opsbot')
    .option('--command <command>', 'slash command', '/ops')
    .option('--yaml', 'print YAML instead of JSON')
    .action((o: { url?: string; socket?: boolean; name: string; command: string; yaml?: boolean }) => {
      let manifest: Record<string, unknown>;
      try {
        manifest = slackManifest({ ...(o.url ? { url: o.url } : {}), socketMode: Boolean(o.socket), name: o.name, command: o.command });
      } catch (e) {
        process.stderr.write(`opsbot slack-manifest: ${errorMessage(e)}\n`);
        process.exit(EXIT.usage);
      }
      process.stdout.write(o.yaml ? toYaml(manifest) : `${JSON.stringify(manifest, null, 2)}\n`);
    });
  program.command('discord-register')
    .description('Create or update the /ops application command on Discord (DISCORD_TOKEN, DISCORD_APPLICATION_ID)')
    .option('--guild <id>', 'register in one guild (instant); default $DISCORD_GUILD_ID, else global')
    .option('--print', 'print the command definition as JSON and register nothing')
    .option('-c, --config <file>', 'configuration file')
    .action(discordRegister);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    fail(e);
  }
}

await main(process.argv);

#!/usr/bin/env node
/**
 * The `opsbot` command line: `start` (default), `exec`, `validate-config`, and the platform helpers.
 * Exit codes: 0 ok, 1 failed, 2 usage error, 78 bad configuration.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfigFile, parseEnv } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Env } from './config/env.js';
import { createBot } from './main.js';
import { renderConsole } from './bot/adapters/console/render.js';
import { errorMessage } from './core/errors.js';
import type { RouterResult } from './bot/router.js';
import { slackManifest } from './bot/adapters/slack/manifest.js';
import { stringify as toYaml } from 'yaml';
import { buildOpsCommand } from './bot/adapters/discord/commands.js';
import { describePlan, registerOpsCommand } from './bot/adapters/discord/register.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;

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

async function start(opts: { config?: string }): Promise<void> {
  const { env, config } = await loadAll(opts.config);
  const bot = await createBot({ config, env, rawEnv: process.env });
  const shutdown = (signal: string) => {
    bot.log.info({ signal }, 'signal received');
    const force = setTimeout(() => process.exit(EXIT.failed), config.bot.shutdownTimeout + 5000);
    force.unref();
    bot.stop().then(() => process.exit(EXIT.ok), (e) => fail(e));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await bot.start();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    await bot.stop().catch(() => undefined);
    if (code === 'EADDRINUSE') fail(new Error(`port ${env.PORT} is already in use (set PORT to another port)`));
    fail(e);
  }
}

async function exec(words: string[], opts: { config?: string; json?: boolean }): Promise<void> {
  // One-shot runs print the result on stdout; logs stay quiet unless LOG_LEVEL asks for them.
  if (!process.env.LOG_LEVEL) process.env.LOG_LEVEL = 'warn';
  const { env, config } = await loadAll(opts.config);
  const bot = await createBot({ config, env, rawEnv: process.env, http: false, console: false });
  const result = await bot.router.handle({ subject: bot.consoleSubject, surface: 'cli', line: words.join(' ') });
  process.stdout.write(execOutput(result, { json: Boolean(opts.json), colour: Boolean(process.stdout.isTTY) }));
  // The stable code on stderr, for scripts that read the exit code and want to know why.
  if (result.error) process.stderr.write(`opsbot: ${result.error.code}: ${result.error.message}\n`);
  await bot.stop();
  process.exitCode = exitCodeOf(result);
}

function exitCodeOf(result: Pick<RouterResult, 'outcome'>): number {
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

async function validate(file: string | undefined): Promise<void> {
  const { config } = await loadAll(file);
  const targets = Object.keys(config.targets);
  const checks = Object.values(config.targets).reduce((n, t) => n + t.health.length, 0);
  process.stdout.write(`${file ?? process.env.OPSBOT_CONFIG ?? 'config/default.yaml'}: valid — ${targets.length} target(s) (${targets.join(', ') || 'none'}), ${checks} health check(s), ${Object.keys(config.rbac.roles).length} role(s)\n`);
}

async function discordRegister(opts: { config?: string; guild?: string; print?: boolean }): Promise<void> {
  const { env, config } = await loadAll(opts.config);
  const bot = await createBot({ config, env, rawEnv: process.env, http: false, console: false, memoryStore: true });
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
    .action(start);

  program.command('exec')
    .description('Run one command and exit: 0 when it passes, 1 when it fails, 2 on a usage error')
    .argument('<command...>', 'the command line, e.g. "health all"')
    .option('-c, --config <file>', 'configuration file')
    .option('--json', 'print the result as JSON')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(exec);

  program.command('validate-config')
    .description('Check a configuration file and list every problem with its key path')
    .argument('[file]', 'configuration file (default: $OPSBOT_CONFIG or config/default.yaml)')
    .action(validate);

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

/**
 * Builds a real bot in-process for tests: parsed config from YAML text, its own data directory
 * and port, no console unless asked. Records what the console surface prints.
 */
import { PassThrough } from 'node:stream';
import { parseConfigText } from '../../src/config/load.js';
import { envSchema, type Env } from '../../src/config/env.js';
import { createBot, type Bot, type BotOptions } from '../../src/main.js';
import { createLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import { tmpDir } from './servers.js';

export interface TestBot {
  bot: Bot;
  port: number;
  baseUrl: string;
  dataDir: string;
  /** Sends a line to the console surface (when `console: true`). */
  type(line: string): void;
  /** Everything the console printed. */
  output(): string;
  stop(): Promise<void>;
}

export async function startTestBot(opts: {
  yaml: string;
  env?: Record<string, string>;
  console?: boolean;
  http?: boolean;
  dataDir?: string;
  extra?: Partial<BotOptions>;
  /** Runs after the bot is built and before it starts (register test commands here). */
  beforeStart?: (bot: Bot) => void | Promise<void>;
}): Promise<TestBot> {
  const tmp = opts.dataDir ? undefined : await tmpDir('opsbot-bot-');
  const dataDir = opts.dataDir ?? (tmp as { dir: string }).dir;
  const rawEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', OPSBOT_DATA_DIR: dataDir, ...opts.env };
  const env: Env = envSchema.parse(rawEnv);
  const config = parseConfigText(opts.yaml, 'test.yaml', { ...process.env, ...rawEnv });
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => { printed += d.toString(); });
  const log = createLogger({ level: env.LOG_LEVEL, redactor: new Redactor(), pretty: false });
  const bot = await createBot({
    config, env, rawEnv, log,
    console: opts.console ? { input, output, interactive: false } : false,
    ...(opts.http === false ? { http: false } : {}),
    ...opts.extra,
  });
  await opts.beforeStart?.(bot);
  let port: number;
  try {
    ({ port } = await bot.start());
  } catch (e) {
    await bot.stop();
    await tmp?.cleanup();
    throw e;
  }
  return {
    bot, port, baseUrl: `http://127.0.0.1:${port}`, dataDir,
    type: (line) => input.write(`${line}\n`),
    output: () => printed,
    async stop() {
      input.end();
      await bot.stop();
      await tmp?.cleanup();
    },
  };
}

/**
 * A real bot started in-process on a YAML file, and a reloader of that file as `opsbot start`
 * has it (SIGHUP): `reload(yaml)` writes the edited file and reloads, validated the way
 * `validate-config` does (an offline bot on the new config, asked for its command problems).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestBot, type TestBot } from './bot.js';
import { tmpDir } from './servers.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Config } from '../../src/config/schema.js';
import { envSchema } from '../../src/config/env.js';
import { createBot } from '../../src/main.js';
import { ConfigReloader } from '../../src/wiring/reload/reloader.js';

/** The offline checks `opsbot validate-config` runs: a bot on the new config, in memory, asked for its command problems. */
export async function offlineProblems(config: Config): Promise<string[]> {
  const bot = await createBot({ config, env: envSchema.parse({ LOG_LEVEL: 'silent' }), http: false, console: false, memoryStore: true });
  try {
    return bot.commandProblems();
  } finally {
    await bot.stop();
  }
}

export interface Reloading {
  t: TestBot;
  file: string;
  reload(yaml: string): ReturnType<ConfigReloader['request']>;
  cleanup(): Promise<void>;
}

export async function reloadingBot(yaml: string, extra?: Parameters<typeof startTestBot>[0]['extra'], env: Record<string, string> = {}): Promise<Reloading> {
  const { dir, cleanup } = await tmpDir('opsbot-reload-');
  const file = path.join(dir, 'opsbot.yaml');
  await writeFile(file, yaml);
  const t = await startTestBot({ yaml, extra, env });
  const procEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OPSBOT_DATA_DIR: t.dataDir, ...env };
  const reloader = new ConfigReloader(t.bot, { file, env: () => procEnv, validate: offlineProblems, clock: extra?.clock ?? new ManualClock(0) });
  return {
    t, file,
    async reload(next) {
      await writeFile(file, next);
      return reloader.request();
    },
    async cleanup() {
      await t.stop();
      await cleanup();
    },
  };
}

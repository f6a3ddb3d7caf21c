/**
 * A running `opsbot start` and reloads: its pid file under `OPSBOT_DATA_DIR/run/` (so `opsbot
 * reload` finds it), SIGHUP → one reload, and the outcome written for whoever sent the signal.
 */
import path from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Config } from '../../config/schema.js';
import { ConfigReloader, type Reloadable, type ReloadResult } from './reloader.js';
import { processStartTicks, removeRunFiles, writePidFile, writeStatus } from './run-files.js';

export interface ReloadsOptions {
  file: string;
  dataDir: string;
  validate: (config: Config) => Promise<string[]>;
  /** The environment `${VAR}` is resolved from at each reload (the process's, from cli.ts). */
  env: () => NodeJS.ProcessEnv;
  clock?: Clock;
}

export interface Reloads {
  reloader: ConfigReloader;
  /** Removes the SIGHUP handler and this process's run files. */
  close(): Promise<void>;
}

export async function serveReloads(bot: Reloadable, o: ReloadsOptions): Promise<Reloads> {
  const file = path.resolve(o.file);
  const reloader = new ConfigReloader(bot, { file, env: o.env, validate: o.validate, clock: o.clock ?? systemClock });
  const { pid } = process;
  const report = async (r: ReloadResult): Promise<void> => {
    await writeStatus(o.dataDir, { pid, covers: r.covers, finishedAt: new Date().toISOString(), outcome: r.outcome, changed: r.changed, problems: r.problems })
      .catch((e: unknown) => bot.log.warn({ err: e }, `could not write the reload outcome for opsbot reload: ${errorMessage(e)}`));
  };
  const onHup = (): void => {
    bot.log.info({ signal: 'SIGHUP', file }, 'signal received: reloading the config');
    void reloader.request().then(report).catch((e: unknown) => bot.log.error({ err: e }, `config reload failed: ${errorMessage(e)}`));
  };
  process.on('SIGHUP', onHup);
  const startTicks = await processStartTicks(pid);
  try {
    await writePidFile(o.dataDir, { pid, config: file, startedAt: new Date().toISOString(), ...(startTicks ? { startTicks } : {}) });
  } catch (e) {
    // A read-only data folder (state in MongoDB) still runs: SIGHUP reloads, `opsbot reload` cannot find it.
    bot.log.warn({ err: e, dataDir: o.dataDir }, `no pid file for opsbot reload (${errorMessage(e)}); kill -HUP ${pid} still reloads`);
  }
  return {
    reloader,
    async close() {
      process.removeListener('SIGHUP', onHup);
      await removeRunFiles(o.dataDir, pid);
    },
  };
}

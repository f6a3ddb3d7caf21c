/**
 * A running `opsbot start` and reloads: its pid file under `OPSBOT_DATA_DIR/run/` (so `opsbot
 * reload` finds it), SIGHUP → one reload, and the outcome written for whoever sent the signal.
 * SIGHUP is heard from before the bot is built until the process exits (Node's default for it
 * ends the process): one received while the bot starts is answered by a reload once it runs;
 * one received while it stops reloads nothing, and says so.
 */
import path from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Config } from '../../config/schema.js';
import { ConfigReloader, type Reloadable, type ReloadResult } from './reloader.js';
import { processPlace, processStartTicks, removeRunFiles, writePidFile, writeStatus } from './run-files.js';

/** SIGHUP over the life of the process: remembered while starting, served while running, refused while stopping. */
export class ReloadSignals {
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private missed = false;
  private handler: (() => void) | undefined;
  private log: Logger | undefined;
  private readonly listener = (): void => this.received();

  constructor(private readonly proc: Pick<NodeJS.Process, 'on' | 'removeListener'> = process) {
    proc.on('SIGHUP', this.listener);
  }

  /** From now on each SIGHUP calls `handler`; one received while starting calls it now. */
  serve(handler: () => void, log: Logger): void {
    if (this.phase !== 'starting') return;
    this.phase = 'running';
    this.handler = handler;
    this.log = log;
    if (!this.missed) return;
    log.info({ signal: 'SIGHUP' }, 'SIGHUP received while starting: reloading the config now');
    handler();
  }

  /** The bot stops: a SIGHUP from now on reloads nothing (the handler stays, so the signal does not end the process). */
  stop(log?: Logger): void {
    this.phase = 'stopping';
    this.log ??= log;
  }

  private received(): void {
    if (this.phase === 'running') this.handler?.();
    else if (this.phase === 'starting') this.missed = true;
    else this.log?.warn({ signal: 'SIGHUP' }, 'SIGHUP while stopping: not reloaded (the bot is stopping)');
  }
}

export interface ReloadsOptions {
  file: string;
  dataDir: string;
  validate: (config: Config) => Promise<string[]>;
  /** The environment `${VAR}` is resolved from at each reload (the process's, from cli.ts). */
  env: () => NodeJS.ProcessEnv;
  /** The process's SIGHUP, heard since before the bot was built. */
  signals: ReloadSignals;
  clock?: Clock;
}

export interface Reloads {
  reloader: ConfigReloader;
  /** At the start of a stop: no reload from now on, the one under way finished, this process's run files removed. */
  close(): Promise<void>;
}

export async function serveReloads(bot: Reloadable, o: ReloadsOptions): Promise<Reloads> {
  const file = path.resolve(o.file);
  const reloader = new ConfigReloader(bot, { file, env: o.env, validate: o.validate, clock: o.clock ?? systemClock });
  const { pid } = process;
  let reported: Promise<void> = Promise.resolve();
  const report = async (r: ReloadResult): Promise<void> => {
    await writeStatus(o.dataDir, { pid, covers: r.covers, finishedAt: new Date().toISOString(), outcome: r.outcome, changed: r.changed, problems: r.problems })
      .catch((e: unknown) => bot.log.warn({ err: e }, `could not write the reload outcome for opsbot reload: ${errorMessage(e)}`));
  };
  const onHup = (): void => {
    bot.log.info({ signal: 'SIGHUP', file }, 'signal received: reloading the config');
    reported = reloader.request().then(report).catch((e: unknown) => bot.log.error({ err: e }, `config reload failed: ${errorMessage(e)}`));
  };
  const startTicks = await processStartTicks(pid);
  try {
    await writePidFile(o.dataDir, { pid, config: file, startedAt: new Date().toISOString(), ...(startTicks ? { startTicks } : {}), place: await processPlace() });
  } catch (e) {
    // A read-only data folder (state in MongoDB) still runs: SIGHUP reloads, `opsbot reload` cannot find it.
    bot.log.warn({ err: e, dataDir: o.dataDir }, `no pid file for opsbot reload (${errorMessage(e)}); kill -HUP ${pid} still reloads`);
  }
  o.signals.serve(onHup, bot.log);
  return {
    reloader,
    async close() {
      o.signals.stop(bot.log);
      await reported;
      await removeRunFiles(o.dataDir, pid);
    },
  };
}

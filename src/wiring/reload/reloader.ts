/**
 * One reload of the config file a bot was started with: read it again (the environment re-read
 * for `${VAR}`), validate it as `validate-config` does, refuse it when a restart-only key
 * changed, else apply it (apply.ts). On any problem the running config stays, whole; the
 * problems are logged with their key paths. Every reload is audited: `config.reloaded` with what
 * changed, or `config.reload_failed` with why. Reloads run one at a time; signals that arrive
 * while one waits to start share it.
 */
import type { Config } from '../../config/schema.js';
import { ConfigError, loadConfigFile } from '../../config/load.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import { configChanges, restartProblem } from './keys.js';
import type { Applied } from './apply.js';

/** What a running bot offers a reload (`Bot` from main.ts). */
export interface Reloadable {
  readonly config: Config;
  reconfigure(next: Config): Promise<Applied>;
  /** What the new config must not do to the running bot (remove a target a job still names), with key paths. */
  reloadProblems(next: Config): string[];
  audit: { systemEvent(e: { action: string; message?: string; detail?: Record<string, unknown> }): Promise<void> };
  log: Logger;
}

export interface ReloadResult {
  outcome: 'applied' | 'refused';
  /** The keys applied (empty: the file changed nothing). */
  changed: string[];
  problems: string[];
  /** The file was read after this instant: every request made before is answered. */
  covers: number;
}

export interface ReloaderOptions {
  file: string;
  /** The environment `${VAR}` references are resolved from (read again at each reload). */
  env: () => NodeJS.ProcessEnv;
  /** The offline command-name checks of `validate-config` (role lists, approvals rules, jobs, runbooks). */
  validate: (config: Config) => Promise<string[]>;
  clock: Clock;
}

export class ConfigReloader {
  private queued: Promise<ReloadResult> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly bot: Reloadable, private readonly o: ReloaderOptions) {}

  /** Reloads after any reload under way; a request while one is already waiting shares that one. */
  request(): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    const run = this.tail.then(() => {
      this.queued = undefined;
      return this.once();
    });
    this.queued = run;
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async once(): Promise<ReloadResult> {
    const covers = this.o.clock.now();
    const { file } = this.o;
    const log = this.bot.log.child({ component: 'reload' });
    let next: Config;
    try {
      next = await loadConfigFile(file, this.o.env());
    } catch (e) {
      return this.refused(covers, e instanceof ConfigError ? e.problems : [errorMessage(e)], log);
    }
    const changes = configChanges(this.bot.config, next);
    const problems = await this.o.validate(next).catch((e: unknown) => [`could not check the commands the file names: ${errorMessage(e)}`]);
    if (!problems.length) problems.push(...this.bot.reloadProblems(next));
    if (changes.restart.length) problems.push(restartProblem(changes.restart));
    if (problems.length) return this.refused(covers, problems, log);
    let applied: Applied | undefined;
    if (changes.live.length) {
      try {
        applied = await this.bot.reconfigure(next);
      } catch (e) {
        return this.refused(covers, [`could not apply: ${errorMessage(e)}`], log);
      }
    }
    if (applied?.approvalsRecheckFailed) log.warn({ file, reason: applied.approvalsRecheckFailed }, `config reloaded, but the re-check of pending approval requests failed (${applied.approvalsRecheckFailed}); each is judged by the new rules at its next press`);
    const what = changes.live.length ? `applied ${changes.live.join(', ')}` : 'no change';
    log.info({ file, changed: changes.live, jobs: applied?.jobs, approvalsCancelled: applied?.approvals.cancelled, targetServicesRebuilt: applied?.targets }, `config reloaded from ${file}: ${what}`);
    await this.audit({
      action: 'config.reloaded',
      message: `config reloaded from ${file}: ${what}`,
      detail: {
        file, changed: changes.live,
        ...(applied && (applied.jobs.added.length || applied.jobs.removed.length || applied.jobs.changed.length) ? { jobs: applied.jobs } : {}),
        ...(applied && Object.keys(applied.approvals.cancelled).length ? { approvalsCancelled: applied.approvals.cancelled } : {}),
        ...(applied?.approvalsRecheckFailed ? { approvalsRecheckFailed: applied.approvalsRecheckFailed } : {}),
      },
    }, log);
    return { outcome: 'applied', changed: changes.live, problems: [], covers };
  }

  private async refused(covers: number, problems: string[], log: Logger): Promise<ReloadResult> {
    const { file } = this.o;
    log.error({ file, problems }, `config reload refused; the running config stays:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    await this.audit({ action: 'config.reload_failed', message: `config reload from ${file} refused: ${problems.length} problem(s); the running config stays`, detail: { file, problems } }, log);
    return { outcome: 'refused', changed: [], problems, covers };
  }

  private async audit(e: Parameters<Reloadable['audit']['systemEvent']>[0], log: Logger): Promise<void> {
    try {
      await this.bot.audit.systemEvent(e);
    } catch (err) {
      log.error({ err }, `could not audit ${e.action}: ${errorMessage(err)}`);
    }
  }
}

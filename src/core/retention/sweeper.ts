/**
 * Applies retention on a timer: once per period across every replica (the period is claimed with
 * `coordination.once`), each collection loses its finished records older than its setting. Runs on
 * the injected clock; what was removed is logged and written to the audit trail.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import type { Coordination } from '../coordination/types.js';
import type { Store } from '../store/types.js';
import { RETENTION_RULES, type RetentionKey } from './rules.js';

/** Age in ms per setting; null keeps that collection whole (`forever`). */
export type RetentionAges = Record<RetentionKey, number | null> & { interval: number };

export interface RetentionDeps {
  store: Store;
  coordination: Coordination;
  clock: Clock;
  log: Logger;
  ages: RetentionAges;
  /** Told what one sweep removed (the audit trail), when it removed anything. */
  onSwept?: (removed: Partial<Record<RetentionKey, number>>) => Promise<void>;
}

export class RetentionSweeper {
  private timer: Timer | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private d: RetentionDeps) {}

  /**
   * New ages and interval (a config reload): the next sweep removes by them, and the timer is armed
   * again for the start of the new interval's next period (a sweep under way finishes first).
   */
  setAges(ages: RetentionAges): void {
    this.d = { ...this.d, ages };
    if (this.stopped || this.running || !this.timer) return;
    this.timer.cancel();
    this.arm(ages.interval - (this.d.clock.now() % ages.interval));
  }

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  /**
   * One sweep for the current period, unless another replica (or an earlier call) claimed it:
   * then undefined. Otherwise the number of records removed per setting.
   */
  async sweepPeriod(): Promise<Partial<Record<RetentionKey, number>> | undefined> {
    const { interval } = this.d.ages;
    const period = Math.floor(this.d.clock.now() / interval);
    if (!(await this.d.coordination.once(`retention:${period}`, interval))) return undefined;
    return this.sweep();
  }

  /** Removes every finished record past its age now. */
  async sweep(): Promise<Partial<Record<RetentionKey, number>>> {
    const now = this.d.clock.now();
    const removed: Partial<Record<RetentionKey, number>> = {};
    for (const rule of RETENTION_RULES) {
      const age = this.d.ages[rule.key];
      if (age === null) continue;
      const n = await this.d.store.collection(rule.collection).deleteMany(rule.expired(new Date(now - age)));
      if (n > 0) removed[rule.key] = n;
    }
    if (Object.keys(removed).length) {
      this.d.log.info({ removed }, 'retention: removed finished records past their age');
      await this.d.onSwept?.(removed);
    }
    return removed;
  }

  /** The next sweep at the start of the next period (the first one soon after start). */
  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.d.clock.setTimeout(() => {
      this.running = this.sweepPeriod()
        .catch((e: unknown) => this.d.log.error({ err: e }, 'retention sweep failed; trying again next period'))
        .finally(() => {
          this.running = undefined;
          const { interval } = this.d.ages;
          this.arm(interval - (this.d.clock.now() % interval));
        });
    }, delayMs);
  }
}

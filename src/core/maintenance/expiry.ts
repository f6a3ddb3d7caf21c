/**
 * Ends maintenance windows when their time runs out, on the injected clock. The deadline lives in
 * the store, so after a restart (or in another process) the next sweep finds it again; the sweep
 * also runs every `intervalMs` to see windows other processes started. Ending is a
 * compare-and-set, so with several processes each end is announced once.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { MaintenanceService } from './service.js';

export class MaintenanceExpiry {
  private timer: Timer | undefined;
  private dueAt = Infinity;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly service: MaintenanceService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs = 30_000,
  ) {}

  /** Sweeps at once (windows that ended while the bot was down end now), then on every deadline. */
  async start(): Promise<void> {
    this.stopped = false;
    this.service.onStarted = (r) => this.wakeAt(r.until);
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.dueAt = Infinity;
    await this.running;
  }

  private wakeAt(at: Date | undefined): void {
    if (this.stopped) return;
    const due = Math.min(at ? at.getTime() : Infinity, this.clock.now() + this.intervalMs);
    if (this.timer && this.dueAt <= due) return; // an earlier wake-up is already set
    this.timer?.cancel();
    this.dueAt = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.dueAt = Infinity;
      void this.tick();
    }, due - this.clock.now());
  }

  private tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      let next: Date | undefined;
      try {
        next = await this.service.sweep();
      } catch (e) {
        this.log.error({ err: errorMessage(e) }, 'maintenance sweep failed; retrying later');
      } finally {
        this.running = undefined;
      }
      this.wakeAt(next);
    })();
    return this.running;
  }
}

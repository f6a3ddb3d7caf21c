/**
 * The passes that look for due work. A timer on the injected clock (every tick, or sooner when a
 * step falls due) runs one pass at a time over the store: steps due, paused escalations (to
 * resume them) and claimed steps not yet delivered, so every replica and process sees the same
 * work. A kick during a pass runs another right after it; every `catchUpEvery` passes it looks
 * for groups whose `opened` event was missed.
 */
import type { Timer } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { EscalationStore } from './record.js';
import type { StepClaims } from './claim.js';
import type { EscalationOptions } from './ports.js';

const BATCH = 200;
const PARALLEL = 50;

export class DuePasses {
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  private stopped = false;
  private passes = 0;
  /** Work started outside a pass (stopping on an ack); `stop` and `settled` wait for it. */
  private readonly side = new Set<Promise<void>>();

  /** `catchUp`: starts the escalations of groups whose `opened` event was missed. */
  constructor(
    private readonly o: EscalationOptions,
    private readonly records: EscalationStore,
    private readonly claims: StepClaims,
    private readonly catchUp: () => Promise<void>,
  ) {}

  /** Started and not stopped: passes run. */
  get active(): boolean {
    return this.started && !this.stopped;
  }

  /** From now on a kick runs a pass. */
  begin(): void {
    this.started = true;
    this.stopped = false;
  }

  /** No pass runs any more; settles once the current pass and the side work are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
    await Promise.all(this.side);
  }

  /** Work started outside a pass, waited for by `stop` and `settled`. */
  track(work: Promise<void>): void {
    this.side.add(work);
    void work.finally(() => this.side.delete(work));
  }

  /** Settles when the current pass is done (tests). */
  async settled(): Promise<void> {
    while (this.running || this.side.size) await Promise.all([this.running, ...this.side]);
  }

  /** Looks for due work now (the timer does this every tick). */
  kick(): void {
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.running = this.pass()
      .catch((e) => this.o.log.error({ err: e }, 'escalation pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
          return;
        }
        void this.schedule();
      });
  }

  private async schedule(): Promise<void> {
    const tick = this.o.tickMs ?? 1000;
    const next = await this.records.c.findOne({ phase: 'running' }, { sort: { dueAt: 1 } }).catch(() => null);
    const wait = next ? Math.min(tick, Math.max(0, next.dueAt.getTime() - this.o.clock.now())) : tick;
    if (this.stopped || this.running) return;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimeout(() => this.kick(), wait);
  }

  private async pass(): Promise<void> {
    await this.records.init();
    if (++this.passes % (this.o.catchUpEvery ?? 10) === 0) await this.catchUp();
    const now = new Date(this.o.clock.now());
    const { c } = this.records;
    const work = [
      ...await c.find({ phase: 'running', dueAt: { $lte: now } }, { sort: { dueAt: 1 }, limit: BATCH }),
      ...await c.find({ phase: 'paused' }, { limit: BATCH }),
      ...await c.find({ pending: { $exists: true } }, { limit: BATCH }),
    ];
    const ids = [...new Set(work.map((r) => r._id))];
    for (let i = 0; i < ids.length && !this.stopped; i += PARALLEL) {
      await Promise.all(ids.slice(i, i + PARALLEL).map((id) => this.claims.process(id).catch((e) => this.o.log.error({ err: e, alert: id }, `escalation step failed: ${errorMessage(e)}`))));
    }
    if (ids.length >= BATCH) this.again = true;
  }
}

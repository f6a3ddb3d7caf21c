/**
 * One lane per channel: its sleep (woken early by new work) and the lock that makes it the one
 * sender of the channel across replicas. The lock is held for the lane's whole run and extended
 * as it goes; a lost lock stops the lane.
 */
import type { Clock, Timer } from '../clock.js';
import type { Coordination, Lock } from '../coordination/types.js';

export class Lane {
  private timer: Timer | undefined;
  private resolveSleep: (() => void) | undefined;
  private woken = false;
  blockedUntil = 0;
  running = false;
  /** When this lane last called the chat API (the latest `messages` of them, oldest first). */
  private readonly calls: number[] = [];

  constructor(private readonly clock: Clock) {}

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolveSleep = resolve;
      this.timer = this.clock.setTimeout(() => {
        this.resolveSleep = undefined;
        resolve();
      }, Math.max(1, ms));
    });
  }

  /**
   * How long until another call keeps to `messages` per `per` ms as this lane calls (0: now).
   * The shared rate limit counts when a slot was taken; this counts when the calls went out, so
   * a slot taken late (a slow store write) never sends two calls closer than the rate allows.
   */
  untilFree(now: number, messages: number, per: number): number {
    if (this.calls.length < messages) return 0;
    return Math.max(0, (this.calls[this.calls.length - messages] as number) + per - now);
  }

  /** Notes a call to the chat API made now. */
  called(now: number, messages: number): void {
    this.calls.push(now);
    if (this.calls.length > messages) this.calls.splice(0, this.calls.length - messages);
  }

  wake(): void {
    const r = this.resolveSleep;
    if (r) {
      this.timer?.cancel();
      this.resolveSleep = undefined;
      r();
    } else {
      this.woken = true;
    }
  }
}

export type Hold = 'held' | 'busy' | 'lost';

/** The lane's lock: taken once, extended when a third of its time has passed, released at the end. */
export class LaneLock {
  private lock: Lock | null = null;
  private extendedAt = 0;

  constructor(
    private readonly coordination: Coordination,
    readonly key: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** `held`: go on; `busy`: another replica sends on this channel; `lost`: the lock expired or was taken, stop. */
  async hold(): Promise<Hold> {
    const now = this.clock.now();
    if (this.lock) {
      if (now - this.extendedAt < this.ttlMs / 3) return 'held';
      if (await this.lock.extend(this.ttlMs)) {
        this.extendedAt = now;
        return 'held';
      }
      this.lock = null;
      return 'lost';
    }
    this.lock = await this.coordination.tryLock(this.key, this.ttlMs);
    if (!this.lock) return 'busy';
    this.extendedAt = now;
    return 'held';
  }

  async release(): Promise<void> {
    const l = this.lock;
    this.lock = null;
    await l?.release();
  }
}

/**
 * A coordination lock held for as long as some work runs: renewed with `Lock.extend` while the
 * work goes on, so a crashed holder frees it within one TTL, and its signal aborts the work as
 * soon as the lock is lost (expired and taken by another process).
 */
import { systemClock, type Clock, type Timer } from '../core/clock.js';
import type { Coordination, Lock } from '../core/coordination/types.js';

export interface HeldLockOptions {
  /** How long the lock lives without a renewal. */
  ttlMs: number;
  /** How often it is renewed (default a third of the TTL). */
  renewEveryMs?: number;
  clock?: Clock;
}

export class HeldLock {
  private readonly lost = new AbortController();
  private timer: Timer | undefined;
  private renewedAt: number;
  private released = false;

  private constructor(private readonly lock: Lock, private readonly ttlMs: number, private readonly renewEveryMs: number, private readonly clock: Clock) {
    this.renewedAt = clock.now();
    this.schedule();
  }

  /** Takes the lock and starts renewing it, or returns null when someone else holds it. */
  static async take(coordination: Coordination, key: string, opts: HeldLockOptions): Promise<HeldLock | null> {
    const lock = await coordination.tryLock(key, opts.ttlMs);
    if (!lock) return null;
    const every = opts.renewEveryMs ?? Math.max(1, Math.floor(opts.ttlMs / 3));
    return new HeldLock(lock, opts.ttlMs, every, opts.clock ?? systemClock);
  }

  get key(): string {
    return this.lock.key;
  }

  /** Aborted when the lock is lost; the work it protects must stop. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  get isLost(): boolean {
    return this.lost.signal.aborted;
  }

  /** Stops renewing and frees the lock (if it is still ours). */
  async release(): Promise<void> {
    this.released = true;
    this.timer?.cancel();
    await this.lock.release();
  }

  private schedule(): void {
    if (this.released || this.isLost) return;
    this.timer = this.clock.setTimeout(() => { void this.renew(); }, this.renewEveryMs);
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    let kept: boolean;
    try {
      kept = await this.lock.extend(this.ttlMs);
    } catch {
      // Coordination briefly unreachable: the lock may still be ours until its TTL runs out.
      kept = this.clock.now() - this.renewedAt < this.ttlMs;
      if (kept) { this.schedule(); return; }
    }
    if (this.released) return;
    if (!kept) {
      this.lost.abort(new Error(`lock ${this.lock.key} was lost`));
      return;
    }
    this.renewedAt = this.clock.now();
    this.schedule();
  }
}

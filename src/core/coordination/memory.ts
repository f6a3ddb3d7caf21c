/** In-process coordination: unit tests only (it spans neither processes nor replicas). */
import { randomUUID } from 'node:crypto';
import type { Coordination, Lock, RateDecision } from './types.js';

export class MemoryCoordination implements Coordination {
  readonly kind = 'memory' as const;
  private readonly locks = new Map<string, { token: string; expires: number }>();
  private readonly seen = new Map<string, number>();
  private readonly windows = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async tryLock(key: string, ttlMs: number): Promise<Lock | null> {
    const t = this.now();
    const held = this.locks.get(key);
    if (held && held.expires > t) return null;
    const token = randomUUID();
    this.locks.set(key, { token, expires: t + ttlMs });
    return {
      key,
      extend: async (ms: number) => {
        const cur = this.locks.get(key);
        if (cur?.token !== token || cur.expires <= this.now()) return false;
        cur.expires = this.now() + ms;
        return true;
      },
      release: async () => {
        if (this.locks.get(key)?.token === token) this.locks.delete(key);
      },
    };
  }

  async once(key: string, ttlMs: number): Promise<boolean> {
    const t = this.now();
    this.sweep(t);
    const until = this.seen.get(key);
    if (until !== undefined && until > t) return false;
    this.seen.set(key, t + ttlMs);
    return true;
  }

  async rateLimit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const t = this.now();
    const events = (this.windows.get(key) ?? []).filter((x) => x > t - windowMs);
    if (events.length >= limit) {
      this.windows.set(key, events);
      return { allowed: false, retryAfterMs: Math.max(1, (events[0] as number) + windowMs - t) };
    }
    events.push(t);
    this.windows.set(key, events);
    return { allowed: true, retryAfterMs: 0 };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.locks.clear();
    this.seen.clear();
    this.windows.clear();
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    for (const [k, until] of this.seen) if (until <= t) this.seen.delete(k);
  }
}

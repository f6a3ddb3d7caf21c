/**
 * Exactly-once across replicas and processes (DESIGN.md §5): locks per target, once/dedupe for
 * webhooks and scheduled jobs, rate limits. Redis when REDIS_URL is set, otherwise leases in the
 * store in use (StoreCoordination); in-process (MemoryCoordination) only in unit tests.
 */
export interface Lock {
  readonly key: string;
  /**
   * Keeps the lock for another `ttlMs` from now. False when it was lost (expired and taken by
   * someone else, or released): the holder must stop the work the lock protected.
   */
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

export interface RateDecision {
  allowed: boolean;
  /** When not allowed: how long until the next slot frees. */
  retryAfterMs: number;
}

export interface Coordination {
  readonly kind: 'memory' | 'redis' | 'store';
  /** Takes the lock or returns null if someone else holds it. It expires after `ttlMs`. */
  tryLock(key: string, ttlMs: number): Promise<Lock | null>;
  /** True the first time `key` is seen within `ttlMs`, false for every repeat. */
  once(key: string, ttlMs: number): Promise<boolean>;
  /** Sliding-window limit: at most `limit` events per `windowMs` under `key`. Counts the event when allowed. */
  rateLimit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

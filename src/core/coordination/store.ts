/**
 * Coordination across processes through the store in use (SQLite on one host, MongoDB across
 * hosts): leases in one collection, changed only by single atomic operations of the Collection
 * interface. A lock or `once` claim is a document `{ _id, token, expiresAt }` created by
 * insertOne (the unique _id decides who wins) or, once expired, taken over by one conditional
 * update; extend and release are conditioned on the holder's token. A rate limit is one document
 * with its window's event times, changed by two conditional updates.
 */
import { randomUUID } from 'node:crypto';
import { isDuplicateKey, type Collection, type Store } from '../store/types.js';
import { systemClock, type Clock } from '../clock.js';
import type { Coordination, Lock, RateDecision } from './types.js';

interface Lease {
  _id: string;
  token?: string;
  /** Milliseconds since the epoch (the injected clock's). */
  expiresAt: number;
  /** Rate limits: the times of the events in the window. */
  events?: number[];
}

const COLLECTION = 'coordination';
/** Expired leases are deleted at most this often (a lease is taken over atomically either way). */
const SWEEP_EVERY_MS = 60_000;

export class StoreCoordination implements Coordination {
  readonly kind = 'store' as const;
  private readonly c: Collection<Lease>;
  private readonly clock: Clock;
  private ready: Promise<void> | undefined;
  private nextSweep = 0;
  /** Rate windows found full, and when each frees its first slot (see rateLimit). */
  private readonly fullUntil = new Map<string, number>();

  constructor(private readonly store: Store, opts: { clock?: Clock; collection?: string } = {}) {
    this.c = store.collection<Lease>(opts.collection ?? COLLECTION);
    this.clock = opts.clock ?? systemClock;
  }

  private async init(): Promise<void> {
    this.ready ??= this.c.createIndex({ expiresAt: 1 }).catch((e: unknown) => { this.ready = undefined; throw e; });
    await this.ready;
    const now = this.clock.now();
    if (now >= this.nextSweep) {
      this.nextSweep = now + SWEEP_EVERY_MS;
      await this.c.deleteMany({ expiresAt: { $lt: now } });
    }
  }

  /** Creates the lease, or takes it over when the one there expired; false when it is held. */
  private async claim(id: string, token: string, ttlMs: number): Promise<boolean> {
    await this.init();
    const now = this.clock.now();
    const expiresAt = now + Math.max(1, Math.round(ttlMs));
    try {
      await this.c.insertOne({ _id: id, token, expiresAt });
      return true;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const r = await this.c.updateOne({ _id: id, expiresAt: { $lte: now } }, { $set: { token, expiresAt } });
    return r.matched === 1;
  }

  async tryLock(key: string, ttlMs: number): Promise<Lock | null> {
    const id = `lock:${key}`;
    const token = randomUUID();
    if (!(await this.claim(id, token, ttlMs))) return null;
    return {
      key,
      extend: async (ms: number) => {
        const now = this.clock.now();
        const r = await this.c.updateOne({ _id: id, token, expiresAt: { $gt: now } }, { $set: { expiresAt: now + Math.max(1, Math.round(ms)) } });
        return r.matched === 1;
      },
      release: async () => { await this.c.deleteOne({ _id: id, token }); },
    };
  }

  once(key: string, ttlMs: number): Promise<boolean> {
    return this.claim(`once:${key}`, randomUUID(), ttlMs);
  }

  /**
   * Atomic updates only, no read-then-write: `now` is pushed only while the list has fewer than
   * `limit` entries (the update's filter says so). When it is full and the list as read holds
   * events older than the window, those are pulled and the push is tried once more; when it
   * holds none, the answer comes from that read (no write: the usual case in a storm).
   */
  async rateLimit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    if (limit <= 0) return { allowed: false, retryAfterMs: Math.max(1, windowMs) };
    const now = this.clock.now();
    const full = `${key}\n${limit}\n${windowMs}`;
    const until = this.fullUntil.get(full);
    // A full window frees its first slot when its oldest event leaves it, in every process alike
    // (events leave only by age): until then the answer needs no store.
    if (until !== undefined) {
      if (now < until) return { allowed: false, retryAfterMs: until - now };
      this.fullUntil.delete(full);
    }
    const { decision, inWindow } = await this.rateLimitInStore(key, limit, windowMs, now);
    if (!decision.allowed && inWindow >= limit) this.fullUntil.set(full, now + decision.retryAfterMs);
    return decision;
  }

  private async rateLimitInStore(key: string, limit: number, windowMs: number, now: number): Promise<{ decision: RateDecision; inWindow: number }> {
    await this.init();
    const id = `rate:${key}`;
    if (await this.pushUnderLimit(id, limit, now, windowMs)) return { decision: { allowed: true, retryAfterMs: 0 }, inWindow: 0 };
    let events = (await this.c.findOne({ _id: id }))?.events ?? [];
    if (events.length < limit || events.some((t) => t <= now - windowMs)) {
      const pruned = await this.c.updateOne({ _id: id }, { $pull: { events: { $lte: now - windowMs } } });
      if ((pruned.modified > 0 || events.length < limit) && (await this.pushUnderLimit(id, limit, now, windowMs))) return { decision: { allowed: true, retryAfterMs: 0 }, inWindow: 0 };
      events = (await this.c.findOne({ _id: id }))?.events ?? [];
    }
    let oldest = now;
    let inWindow = 0;
    for (const t of events) {
      if (t <= now - windowMs) continue;
      inWindow++;
      if (t < oldest) oldest = t;
    }
    return { decision: { allowed: false, retryAfterMs: Math.max(1, oldest + windowMs - now) }, inWindow };
  }

  private async pushUnderLimit(id: string, limit: number, now: number, windowMs: number): Promise<boolean> {
    try {
      const doc = await this.c.findOneAndUpdate(
        { _id: id, [`events.${limit - 1}`]: { $exists: false } },
        { $push: { events: now }, $max: { expiresAt: now + windowMs } },
        { upsert: true },
      );
      return doc !== null;
    } catch (e) {
      if (isDuplicateKey(e)) return false; // full: the upsert met the existing document
      throw e;
    }
  }

  async ping(): Promise<void> {
    await this.store.ping();
  }

  /** The store belongs to whoever opened it and is closed there. */
  async close(): Promise<void> {}
}

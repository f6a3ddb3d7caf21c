/**
 * The one coordination contract, run on every implementation (memory, store on SQLite, Redis):
 * two handles `a` and `b` on one backend stand for two processes or replicas; `advance` moves
 * time (a ManualClock, or real sleeping where the backend keeps its own time, as Redis does).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Coordination } from '../../src/core/coordination/types.js';

export interface CoordinationPair {
  a: Coordination;
  b: Coordination;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** `unitMs`: the TTL the tests use; time moves in fractions of it. */
export function coordinationContract(label: string, open: () => Promise<CoordinationPair>, unitMs: number): void {
  describe(`coordination contract: ${label}`, () => {
    let p: CoordinationPair;
    let seq = 0;
    const key = (name: string) => `${name}:${seq++}`;
    beforeAll(async () => { p = await open(); });
    afterAll(async () => { await p?.close(); });

    it('given a lock held by one process, when the other tries it, then it is refused until released', async () => {
      const k = key('restart:web');
      const l = await p.a.tryLock(k, unitMs);
      expect(l).not.toBeNull();
      expect(await p.b.tryLock(k, unitMs)).toBeNull();
      expect(await p.b.tryLock(key('restart:db'), unitMs)).not.toBeNull();
      await l?.release();
      expect(await p.b.tryLock(k, unitMs)).not.toBeNull();
    });

    it('given twenty tries of one lock at once from both, then exactly one gets it', async () => {
      const k = key('race');
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? p.a : p.b).tryLock(k, unitMs * 10)));
      expect(got.filter(Boolean)).toHaveLength(1);
    });

    it('given a lock that expired, then the other takes it over, and the stale holder can neither extend nor release it', async () => {
      const k = key('expire');
      const first = await p.a.tryLock(k, unitMs);
      await p.advance(unitMs * 1.5);
      const second = await p.b.tryLock(k, unitMs * 10);
      expect(second).not.toBeNull();
      expect(await first?.extend(unitMs)).toBe(false);
      await first?.release();
      expect(await p.a.tryLock(k, unitMs)).toBeNull();
    });

    it('given a holder that extends its lock, then it outlives its first TTL; once it stops extending, it expires', async () => {
      const k = key('extend');
      const l = await p.a.tryLock(k, unitMs);
      await p.advance(unitMs * 0.6);
      expect(await l?.extend(unitMs)).toBe(true);
      await p.advance(unitMs * 0.6);
      expect(await p.b.tryLock(k, unitMs)).toBeNull();
      await p.advance(unitMs * 0.6);
      expect(await p.b.tryLock(k, unitMs)).not.toBeNull();
      expect(await l?.extend(unitMs)).toBe(false);
    });

    it('once: of twenty deliveries of one key from both, one wins; after its TTL the key is new again', async () => {
      const k = key('webhook:g1');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? p.a : p.b).once(k, unitMs)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await p.a.once(k, unitMs)).toBe(false);
      await p.advance(unitMs * 1.5);
      expect(await p.b.once(k, unitMs)).toBe(true);
    });

    it('rateLimit: one sliding window shared by both, saying when the next slot frees', async () => {
      const k = key('channel:C1');
      const window = unitMs * 4;
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await (i % 2 ? p.a : p.b).rateLimit(k, 3, window));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(decisions[3]?.retryAfterMs).toBeGreaterThan(0);
      expect(decisions[3]?.retryAfterMs).toBeLessThanOrEqual(window);
      await p.advance(window * 1.25);
      expect((await p.a.rateLimit(k, 3, window)).allowed).toBe(true);
    });

    it('rateLimit: a full window refuses on both until its oldest event leaves it, and then frees exactly one slot', async () => {
      const k = key('full');
      const window = unitMs * 4;
      for (let i = 0; i < 3; i++) {
        expect((await p.a.rateLimit(k, 3, window)).allowed).toBe(true);
        await p.advance(unitMs);
      }
      // At 3 units: full on both, and asked again (answers that may come from what each saw)
      for (const c of [p.a, p.b, p.a, p.b]) {
        const d = await c.rateLimit(k, 3, window);
        expect(d.allowed).toBe(false);
        expect(d.retryAfterMs).toBeLessThanOrEqual(unitMs);
        expect(d.retryAfterMs).toBeGreaterThan(unitMs * 0.75);
      }
      await p.advance(unitMs / 2);
      expect((await p.b.rateLimit(k, 3, window)).allowed).toBe(false);
      await p.advance(unitMs / 2);
      // At 4 units the first event has left: one slot, taken by whichever asks first
      const [first, second] = [await p.b.rateLimit(k, 3, window), await p.a.rateLimit(k, 3, window)];
      expect([first.allowed, second.allowed]).toEqual([true, false]);
      expect(second.retryAfterMs).toBeLessThanOrEqual(unitMs);
      expect(second.retryAfterMs).toBeGreaterThan(unitMs * 0.75);
    });

    it('rateLimit: of ten events at once from both with a limit of four, exactly four are allowed', async () => {
      const k = key('burst');
      const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? p.a : p.b).rateLimit(k, 4, unitMs * 100)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(4);
    });

    it('rateLimit: a burst of one hundred events at once from both, under the limit, are all allowed (no contention failure)', async () => {
      const k = key('storm');
      const decisions = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? p.a : p.b).rateLimit(k, 1000, unitMs * 100)));
      expect(decisions.every((d) => d.allowed)).toBe(true);
      expect((await p.a.rateLimit(k, 100, unitMs * 100)).allowed).toBe(false);
    });

    it('ping answers while the backend is up', async () => {
      await expect(p.a.ping()).resolves.toBeUndefined();
    });
  });
}

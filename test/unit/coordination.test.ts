import { describe, expect, it } from '@jest/globals';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';

describe('in-process coordination', () => {
  it('a lock is exclusive until released or expired', async () => {
    let now = 0;
    const c = new MemoryCoordination(() => now);
    const l = await c.tryLock('restart:web', 1000);
    expect(l).not.toBeNull();
    expect(await c.tryLock('restart:web', 1000)).toBeNull();
    expect(await c.tryLock('restart:db', 1000)).not.toBeNull();
    await l?.release();
    const l2 = await c.tryLock('restart:web', 1000);
    expect(l2).not.toBeNull();
    now = 1500;
    expect(await c.tryLock('restart:web', 1000)).not.toBeNull();
    await l2?.release(); // a stale holder cannot release the new holder's lock
    expect(await c.tryLock('restart:web', 1000)).toBeNull();
  });

  it('once is true the first time within the window', async () => {
    let now = 0;
    const c = new MemoryCoordination(() => now);
    expect(await c.once('k', 100)).toBe(true);
    expect(await c.once('k', 100)).toBe(false);
    now = 200;
    expect(await c.once('k', 100)).toBe(true);
  });

  it('rateLimit allows N per window and says when the next slot frees', async () => {
    let now = 0;
    const c = new MemoryCoordination(() => now);
    expect((await c.rateLimit('ch', 2, 1000)).allowed).toBe(true);
    now = 100;
    expect((await c.rateLimit('ch', 2, 1000)).allowed).toBe(true);
    now = 200;
    expect(await c.rateLimit('ch', 2, 1000)).toEqual({ allowed: false, retryAfterMs: 800 });
    now = 1001;
    expect((await c.rateLimit('ch', 2, 1000)).allowed).toBe(true);
  });
});

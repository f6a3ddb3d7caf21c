import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { HeldLock } from '../../src/ops/held-lock.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('HeldLock', () => {
  it('given a held lock, when time passes in steps shorter than its TTL, then it is renewed and nobody else gets it', async () => {
    const clock = new ManualClock();
    const coordination = new MemoryCoordination(() => clock.now());
    const held = await HeldLock.take(coordination, 'restart:x', { ttlMs: 30_000, clock });
    expect(held).not.toBeNull();
    for (let i = 0; i < 9; i++) {
      clock.advance(10_000);
      await settle();
    }
    expect(held?.isLost).toBe(false);
    expect(await coordination.tryLock('restart:x', 1_000)).toBeNull();
    await held?.release();
    expect(await coordination.tryLock('restart:x', 1_000)).not.toBeNull();
  });

  it('given a holder paused past its TTL, when another process takes the lock, then the holder sees it lost and its signal aborts', async () => {
    // The holder's timers did not run (a paused process) while the store's time moved on.
    const clock = new ManualClock();
    let storeTime = clock.now();
    const coordination = new MemoryCoordination(() => storeTime);
    const held = await HeldLock.take(coordination, 'restart:x', { ttlMs: 30_000, clock });
    storeTime += 31_000;
    const other = await coordination.tryLock('restart:x', 30_000);
    expect(other).not.toBeNull();
    expect(held?.isLost).toBe(false);
    clock.advance(10_000);
    await settle();
    expect(held?.isLost).toBe(true);
    expect(held?.signal.aborted).toBe(true);
    await held?.release();
    expect(await coordination.tryLock('restart:x', 1_000)).toBeNull();
  });

  it('given a lock someone holds, when another takes it, then it gets null', async () => {
    const coordination = new MemoryCoordination();
    const first = await HeldLock.take(coordination, 'k', { ttlMs: 30_000 });
    expect(await HeldLock.take(coordination, 'k', { ttlMs: 30_000 })).toBeNull();
    await first?.release();
  });
});

/** The coordination contract in process (memory) and over the embedded store (two connections to one SQLite file). */
import { expect, it, describe } from '@jest/globals';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { StoreCoordination } from '../../src/core/coordination/store.js';
import { SqliteStore } from '../../src/core/store/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { coordinationContract } from '../support/coordination-contract.js';
import { tmpDir } from '../support/servers.js';

coordinationContract('memory (unit tests only)', async () => {
  const clock = new ManualClock();
  const c = new MemoryCoordination(() => clock.now());
  return { a: c, b: c, advance: async (ms) => clock.advance(ms), close: () => c.close() };
}, 1000);

coordinationContract('store (two connections to one SQLite file)', async () => {
  const clock = new ManualClock();
  const { dir, cleanup } = await tmpDir();
  const [s1, s2] = [await SqliteStore.open(dir), await SqliteStore.open(dir)];
  return {
    a: new StoreCoordination(s1, { clock }),
    b: new StoreCoordination(s2, { clock }),
    advance: async (ms) => clock.advance(ms),
    close: async () => { await s1.close(); await s2.close(); await cleanup(); },
  };
}, 1000);

describe('store coordination housekeeping', () => {
  it('given expired leases, when a minute has passed, then they are deleted from the store', async () => {
    const clock = new ManualClock();
    const store = await SqliteStore.open(null);
    const c = new StoreCoordination(store, { clock });
    for (let i = 0; i < 5; i++) await c.once(`k${i}`, 1000);
    const held = await c.tryLock('held', 10 * 60_000);
    expect(await store.collection('coordination').countDocuments()).toBe(6);
    clock.advance(61_000);
    expect(await c.once('fresh', 1000)).toBe(true);
    expect((await store.collection('coordination').find({}, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['lock:held', 'once:fresh']);
    expect(await held?.extend(1000)).toBe(true);
    await store.close();
  });
});

/**
 * A process that works on a shared SQLite data folder, for the cross-process store tests.
 * Usage: node --import tsx store-child.ts <dataDir> <inc|cas|lock> <count> <name>
 *  inc:  findOneAndUpdate $inc on one counter (upserted)
 *  cas:  read, then update conditioned on `version`, retried on conflict, appending `name:i`
 *  lock: under a StoreCoordination lock, an unconditional read-modify-write of a counter
 * Prints `ready` once open, starts when the file `<dataDir>/go` exists (so two children overlap),
 * and prints `{"done":N,"retries":R}` when finished.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SqliteStore } from '../../src/core/store/index.js';
import { StoreCoordination } from '../../src/core/coordination/store.js';

const [dir, mode, countText, name] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const store = await SqliteStore.open(dir);
const c = store.collection<{ _id: string; n?: number; version?: number; items?: string[] }>('shared');
const pause = () => new Promise((r) => setImmediate(r));
let retries = 0;

process.stdout.write('ready\n');
while (!existsSync(path.join(dir, 'go'))) await new Promise((r) => setTimeout(r, 2));

for (let i = 0; i < count; i++) {
  if (mode === 'inc') {
    await c.findOneAndUpdate({ _id: 'counter' }, { $inc: { n: 1 } }, { upsert: true });
  } else if (mode === 'cas') {
    for (;;) {
      const doc = await c.findOne({ _id: 'cas' });
      await pause();
      const r = doc
        ? await c.updateOne({ _id: 'cas', version: doc.version }, { $set: { items: [...(doc.items ?? []), `${name}:${i}`] }, $inc: { version: 1 } })
        : await c.insertOne({ _id: 'cas', version: 1, items: [`${name}:${i}`] }).then(() => ({ matched: 1 }), () => ({ matched: 0 }));
      if (r.matched === 1) break;
      retries++;
    }
  } else if (mode === 'lock') {
    const coordination = new StoreCoordination(store);
    let lock = await coordination.tryLock('shared-counter', 10_000);
    while (!lock) { retries++; await new Promise((r) => setTimeout(r, 1)); lock = await coordination.tryLock('shared-counter', 10_000); }
    const doc = await c.findOne({ _id: 'locked' });
    await new Promise((r) => setTimeout(r, 1)); // hold the lock a while: the other process must wait
    await c.updateOne({ _id: 'locked' }, { $set: { n: (doc?.n ?? 0) + 1 } }, { upsert: true });
    await lock.release();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
await store.close();
process.stdout.write(`${JSON.stringify({ done: count, retries })}\n`);

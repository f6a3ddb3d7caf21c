/**
 * One contract for every Store implementation: the embedded store always (in memory and on
 * disk), MongoDB when MONGODB_URL is set. MongoDB's failure paths run against a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EmbeddedStore, MongoStore, isDuplicateKey, type Store } from '../../src/core/store/index.js';
import { freePort, tmpDir } from '../support/servers.js';

type Item = { _id: string; name: string; n: number; tags?: string[]; at?: Date; extra?: string };

function contract(label: string, open: () => Promise<Store>, cleanup: () => Promise<void> = async () => {}) {
  describe(`store contract: ${label}`, () => {
    let store: Store;
    let seq = 0;
    const fresh = () => store.collection<Item>(`c${Date.now().toString(36)}${seq++}`);
    beforeAll(async () => { store = await open(); });
    afterAll(async () => { await store.close(); await cleanup(); });

    it('insertOne assigns a string id and findOne finds by fields and operators', async () => {
      const c = fresh();
      const a = await c.insertOne({ name: 'a', n: 1, at: new Date('2026-01-01T00:00:00Z') });
      expect(typeof a._id).toBe('string');
      await c.insertOne({ _id: 'fixed', name: 'b', n: 5 });
      expect((await c.findOne({ _id: 'fixed' }))?.name).toBe('b');
      expect((await c.findOne({ n: { $gte: 2 } }))?.name).toBe('b');
      expect((await c.findOne({ name: { $in: ['zz', 'a'] } }))?.at).toEqual(new Date('2026-01-01T00:00:00Z'));
      expect(await c.findOne({ name: 'none' })).toBeNull();
    });

    it('find sorts, skips and limits; countDocuments counts', async () => {
      const c = fresh();
      for (let i = 0; i < 10; i++) await c.insertOne({ name: `x${i}`, n: i });
      const page = await c.find({ n: { $lt: 8 } }, { sort: { n: -1 }, skip: 1, limit: 3 });
      expect(page.map((d) => d.n)).toEqual([6, 5, 4]);
      expect(await c.countDocuments({ n: { $gt: 4 } })).toBe(5);
      expect(await c.countDocuments()).toBe(10);
      expect((await c.find({ $or: [{ n: 1 }, { name: 'x9' }] }, { sort: { n: 1 } })).map((d) => d.n)).toEqual([1, 9]);
      expect((await c.find({ name: { $regex: /^x[12]$/ } })).length).toBe(2);
      expect((await c.find({ extra: { $exists: false } })).length).toBe(10);
    });

    it('updateOne applies $set/$inc/$push/$unset and upserts with $setOnInsert', async () => {
      const c = fresh();
      await c.insertOne({ _id: 'u1', name: 'a', n: 1, extra: 'e' });
      const r = await c.updateOne({ _id: 'u1' }, { $set: { name: 'b' }, $inc: { n: 2 }, $push: { tags: 't1' }, $unset: { extra: '' } });
      expect(r.matched).toBe(1);
      expect(await c.findOne({ _id: 'u1' })).toEqual({ _id: 'u1', name: 'b', n: 3, tags: ['t1'] });
      const up = await c.updateOne({ name: 'new' }, { $set: { n: 9 }, $setOnInsert: { tags: ['fresh'] } }, { upsert: true });
      expect(up.upsertedId).toEqual(expect.any(String));
      expect(await c.findOne({ name: 'new' })).toEqual({ _id: up.upsertedId, name: 'new', n: 9, tags: ['fresh'] });
      await c.updateOne({ name: 'new' }, { $set: { n: 10 }, $setOnInsert: { tags: ['again'] } }, { upsert: true });
      expect(await c.findOne({ name: 'new' })).toMatchObject({ n: 10, tags: ['fresh'] });
      expect((await c.updateOne({ name: 'ghost' }, { $set: { n: 1 } })).matched).toBe(0);
    });

    it('updateMany, deleteOne, deleteMany', async () => {
      const c = fresh();
      for (let i = 0; i < 4; i++) await c.insertOne({ name: 'm', n: i });
      expect((await c.updateMany({ n: { $gte: 2 } }, { $set: { name: 'big' } })).matched).toBe(2);
      expect(await c.deleteOne({ name: 'm' })).toBe(1);
      expect(await c.deleteMany({ name: 'big' })).toBe(2);
      expect(await c.countDocuments()).toBe(1);
    });

    it('findOneAndUpdate is atomic: concurrent claims never hand out the same document twice', async () => {
      const c = fresh();
      for (let i = 0; i < 20; i++) await c.insertOne({ name: 'free', n: i });
      const claims = await Promise.all(Array.from({ length: 30 }, () =>
        c.findOneAndUpdate({ name: 'free' }, { $set: { name: 'taken' } }, { sort: { n: 1 } })));
      const got = claims.filter(Boolean).map((d) => d?.n);
      expect(got.length).toBe(20);
      expect(new Set(got).size).toBe(20);
      const before = await c.findOneAndUpdate({ n: 0 }, { $inc: { n: 100 } }, { returnDocument: 'before' });
      expect(before?.n).toBe(0);
      const created = await c.findOneAndUpdate({ _id: 'k' }, { $set: { name: 'k', n: 1 } }, { upsert: true });
      expect(created).toMatchObject({ _id: 'k', name: 'k', n: 1 });
    });

    it('a unique index refuses duplicates with a duplicate-key error', async () => {
      const c = fresh();
      await c.createIndex({ name: 1 }, { unique: true });
      await c.insertOne({ name: 'only', n: 1 });
      const err = await c.insertOne({ name: 'only', n: 2 }).catch((e: unknown) => e);
      expect(isDuplicateKey(err)).toBe(true);
    });
  });
}

contract('embedded, in memory', () => EmbeddedStore.open(null));

let diskDir: { dir: string; cleanup: () => Promise<void> } | undefined;
contract('embedded, on disk', async () => { diskDir = await tmpDir(); return EmbeddedStore.open(diskDir.dir); }, async () => diskDir?.cleanup());

if (process.env.MONGODB_URL) {
  contract('MongoDB (MONGODB_URL)', () => MongoStore.connect(process.env.MONGODB_URL as string));
} else {
  describe('store contract: MongoDB', () => {
    it.todo('runs when MONGODB_URL is set (no MongoDB server package exists for this machine)');
  });
}

describe('embedded store persistence', () => {
  it('given data written and the store closed, when reopened on the same directory, then the data is there', async () => {
    const { dir, cleanup } = await tmpDir();
    const a = await EmbeddedStore.open(dir);
    await a.collection<Item>('keep').insertOne({ _id: 'p1', name: 'kept', n: 1 });
    await a.collection<Item>('keep').updateOne({ _id: 'p1' }, { $inc: { n: 1 } });
    await a.close();
    const b = await EmbeddedStore.open(dir);
    expect(await b.collection<Item>('keep').findOne({ _id: 'p1' })).toEqual({ _id: 'p1', name: 'kept', n: 2 });
    await b.close();
    await cleanup();
  });
});

describe('MongoDB store failure paths (real driver, closed port)', () => {
  it('given nothing listens on the port, when connecting, then it fails fast with a clear error', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(MongoStore.connect(`mongodb://127.0.0.1:${port}/opsbot`, { serverSelectionTimeoutMS: 500 })).rejects.toThrow(/ECONNREFUSED|Server selection timed out/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

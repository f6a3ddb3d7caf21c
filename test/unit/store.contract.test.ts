/**
 * One contract for every Store implementation: the embedded SQLite store always (in memory and
 * on disk), MongoDB when MONGODB_URL is set. MongoDB's failure paths run against a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MongoStore, SqliteStore, isDuplicateKey, type Store } from '../../src/core/store/index.js';
import { ManualClock } from '../../src/core/clock.js';
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

    it('types stay apart: true is not 1, a missing field equals null, dates compare with dates only', async () => {
      type T = { _id: string; v?: unknown };
      const c = store.collection<T>(`types${Date.now().toString(36)}${seq++}`);
      await c.createIndex({ v: 1 });
      await c.insertOne({ _id: 'true', v: true });
      await c.insertOne({ _id: 'one', v: 1 });
      await c.insertOne({ _id: 'str', v: '1' });
      await c.insertOne({ _id: 'null', v: null });
      await c.insertOne({ _id: 'missing' });
      await c.insertOne({ _id: 'date', v: new Date('2026-03-01T00:00:00Z') });
      await c.insertOne({ _id: 'obj', v: { a: 1 } });
      const ids = async (f: Record<string, unknown>) => (await c.find(f, { sort: { _id: 1 } })).map((d) => d._id);
      expect(await ids({ v: true })).toEqual(['true']);
      expect(await ids({ v: 1 })).toEqual(['one']);
      expect(await ids({ v: '1' })).toEqual(['str']);
      expect(await ids({ v: null })).toEqual(['missing', 'null']);
      expect(await ids({ v: { $gte: 0 } })).toEqual(['one']);
      expect(await ids({ v: { $lt: new Date('2027-01-01T00:00:00Z') } })).toEqual(['date']);
      expect(await ids({ v: { $in: [1, '1'] } })).toEqual(['one', 'str']);
      expect(await ids({ v: { $ne: null } })).toEqual(['date', 'obj', 'one', 'str', 'true']);
      expect(await ids({ v: { $exists: true } })).toEqual(['date', 'null', 'obj', 'one', 'str', 'true']);
      expect(await ids({ v: { a: 1 } })).toEqual(['obj']);
      expect(await c.countDocuments({ v: true })).toBe(1);
      expect(await c.countDocuments({ v: null })).toBe(2);
    });

    it('an array field matches on its elements, also once a field that held scalars starts holding arrays', async () => {
      type T = { _id: string; channel: string; groups: unknown };
      const c = store.collection<T>(`arr${Date.now().toString(36)}${seq++}`);
      await c.createIndex({ groups: 1 });
      await c.insertOne({ _id: 'd1', channel: 'x', groups: 'g1' });
      expect((await c.find({ groups: 'g2' })).length).toBe(0);
      await c.insertOne({ _id: 'd2', channel: 'x', groups: ['g2', 'g3'] });
      expect((await c.findOne({ channel: 'x', groups: 'g3' }))?._id).toBe('d2');
      expect((await c.find({ groups: { $in: ['g1', 'g2'] } }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['d1', 'd2']);
      expect(await c.countDocuments({ groups: 'g2' })).toBe(1);
      await c.updateOne({ _id: 'd1' }, { $set: { groups: ['g1', 'g9'] } });
      expect((await c.findOne({ groups: 'g9' }))?._id).toBe('d1');
      await c.updateOne({ _id: 'd2' }, { $addToSet: { groups: 'g3' } });
      await c.updateOne({ _id: 'd2' }, { $addToSet: { groups: 'g4' } });
      await c.updateOne({ _id: 'd2' }, { $pull: { groups: 'g2' } });
      expect((await c.findOne({ _id: 'd2' }))?.groups).toEqual(['g3', 'g4']);
      expect((await c.find({ 'groups.0': 'g3' })).map((d) => d._id)).toEqual(['d2']);
    });

    it('an indexed array field created after the data matches elements as they are added, removed and deleted', async () => {
      type T = { _id: string; channel: string; groups: unknown };
      const c = store.collection<T>(`arrix${Date.now().toString(36)}${seq++}`);
      // Given documents written before the index exists (one holding a JSON-looking string)
      for (let i = 0; i < 50; i++) await c.insertOne({ _id: `d${i}`, channel: i % 2 ? 'odd' : 'even', groups: [`g${i}`, `g${i + 100}`] });
      await c.insertOne({ _id: 'text', channel: 'odd', groups: '["g7"]' });
      await c.createIndex({ groups: 1 });
      // Then their elements are found, a string matches only as a whole
      expect((await c.findOne({ channel: 'odd', groups: 'g107' }))?._id).toBe('d7');
      expect((await c.find({ groups: '["g7"]' })).map((d) => d._id)).toEqual(['text']);
      expect((await c.find({ channel: 'even', groups: { $in: ['g1', 'g2', 'g104', 'nope'] } }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['d2', 'd4']);
      // When elements are pulled, pushed and documents deleted, then queries follow
      await c.updateOne({ _id: 'd2' }, { $pull: { groups: 'g2' } });
      await c.updateOne({ _id: 'd3' }, { $push: { groups: 'g2' } });
      await c.deleteOne({ _id: 'd4' });
      expect((await c.find({ groups: { $in: ['g2', 'g104'] } })).map((d) => d._id)).toEqual(['d3']);
      expect(await c.countDocuments({ groups: 'g102' })).toBe(1);
      await c.deleteMany({ channel: 'odd' });
      expect(await c.countDocuments({ groups: { $in: ['g7', 'g107', 'g2'] } })).toBe(0);
    });

    it('dates round-trip as Date objects and order by time; $min/$max keep the extreme; $and narrows', async () => {
      type T = { _id: string; at: Date; n: number; nested?: { when: Date } };
      const c = store.collection<T>(`dates${Date.now().toString(36)}${seq++}`);
      await c.createIndex({ at: -1 });
      for (let i = 0; i < 5; i++) await c.insertOne({ _id: `d${i}`, at: new Date(Date.UTC(2026, 0, 1 + i)), n: i, nested: { when: new Date(Date.UTC(2026, 5, i + 1)) } });
      const latest = await c.find({ at: { $gte: new Date(Date.UTC(2026, 0, 2)), $lt: new Date(Date.UTC(2026, 0, 5)) } }, { sort: { at: -1 }, limit: 2 });
      expect(latest.map((d) => d._id)).toEqual(['d3', 'd2']);
      expect(latest[0]?.at).toBeInstanceOf(Date);
      expect(latest[0]?.nested?.when).toEqual(new Date(Date.UTC(2026, 5, 4)));
      await c.updateOne({ _id: 'd0' }, { $min: { n: -5 }, $max: { at: new Date(Date.UTC(2030, 0, 1)) } });
      await c.updateOne({ _id: 'd0' }, { $min: { n: 3 }, $max: { at: new Date(Date.UTC(2020, 0, 1)) } });
      expect(await c.findOne({ _id: 'd0' })).toMatchObject({ n: -5, at: new Date(Date.UTC(2030, 0, 1)) });
      expect((await c.find({ $and: [{ n: { $gte: 1 } }, { n: { $lte: 2 } }] }, { sort: { n: 1 } })).map((d) => d.n)).toEqual([1, 2]);
      expect((await c.find({ n: { $nin: [1, 2, 3] } }, { sort: { n: 1 } })).map((d) => d.n)).toEqual([-5, 4]);
      expect((await c.find({ 'nested.when': { $lt: new Date(Date.UTC(2026, 5, 3)) } }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['d0', 'd1']);
    });

    it('a version-conditioned update applies once: of two writers holding one version, one wins', async () => {
      type T = { _id: string; version: number; owner?: string };
      const c = store.collection<T>(`cas${Date.now().toString(36)}${seq++}`);
      await c.insertOne({ _id: 'r', version: 1 });
      const [a, b] = await Promise.all([
        c.updateOne({ _id: 'r', version: 1 }, { $set: { owner: 'a' }, $inc: { version: 1 } }),
        c.updateOne({ _id: 'r', version: 1 }, { $set: { owner: 'b' }, $inc: { version: 1 } }),
      ]);
      expect(a.matched + b.matched).toBe(1);
      expect((await c.findOne({ _id: 'r' }))?.version).toBe(2);
      const after = await c.findOneAndUpdate({ _id: 'r', version: 2 }, { $inc: { version: 1 } }, { returnDocument: 'after' });
      expect(after?.version).toBe(3);
      expect(await c.findOneAndUpdate({ _id: 'r', version: 2 }, { $inc: { version: 1 } })).toBeNull();
    });

    it('a unique index refuses duplicates with a duplicate-key error', async () => {
      const c = fresh();
      await c.createIndex({ name: 1 }, { unique: true });
      await c.insertOne({ name: 'only', n: 1 });
      const err = await c.insertOne({ name: 'only', n: 2 }).catch((e: unknown) => e);
      expect(isDuplicateKey(err)).toBe(true);
    });

    it('given a long $in list, then it finds exactly the documents whose id or field is one of its values', async () => {
      const c = fresh();
      const names = Array.from({ length: 30 }, (_, i) => [`plain${i}`, `quote"'${i}`, `ünï ${i} \\ [x]`][i % 3] as string);
      for (const [i, name] of names.entries()) await c.insertOne({ _id: `id-${i}`, name, n: i });
      const wanted = names.filter((_, i) => i % 2 === 0);
      const byName = await c.find({ name: { $in: [...wanted, 'absent', '[1]'] } }, { sort: { n: 1 } });
      expect(byName.map((d) => d.name)).toEqual(wanted);
      const ids = Array.from({ length: 20 }, (_, i) => `id-${i * 2}`);
      expect((await c.find({ _id: { $in: ids } }, { sort: { n: 1 } })).map((d) => d._id)).toEqual(ids.filter((id) => Number(id.slice(3)) < 30));
      expect(await c.countDocuments({ n: { $in: Array.from({ length: 12 }, (_, i) => i) } })).toBe(12);
    });

    it('given writes asked for at once, when one of them fails, then only that one is undone and the others are stored', async () => {
      const c = fresh();
      await c.insertOne({ _id: 'taken', name: 'first', n: 0 });
      const results = await Promise.allSettled([
        c.insertOne({ _id: 'w1', name: 'one', n: 1 }),
        c.updateOne({ _id: 'taken' }, { $set: { n: 10 } }),
        c.insertOne({ _id: 'taken', name: 'again', n: 2 }),
        c.insertOne({ _id: 'w3', name: 'three', n: 3 }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(isDuplicateKey((results[2] as PromiseRejectedResult).reason)).toBe(true);
      expect((await c.find({}, { sort: { n: 1 } })).map((d) => [d._id, d.name, d.n])).toEqual([['w1', 'one', 1], ['w3', 'three', 3], ['taken', 'first', 10]]);
    });
  });
}

contract('SQLite, in memory', () => SqliteStore.open(null));

let diskDir: { dir: string; cleanup: () => Promise<void> } | undefined;
contract('SQLite, on disk', async () => { diskDir = await tmpDir(); return SqliteStore.open(diskDir.dir); }, async () => diskDir?.cleanup());

if (process.env.MONGODB_URL) {
  contract('MongoDB (MONGODB_URL)', () => MongoStore.connect(process.env.MONGODB_URL as string));
} else {
  describe('store contract: MongoDB', () => {
    it.todo('runs when MONGODB_URL is set (no MongoDB server package exists for this machine)');
  });
}

describe('SQLite store persistence', () => {
  it('given data written and the store closed, when reopened on the same directory, then the data is there', async () => {
    const { dir, cleanup } = await tmpDir();
    const a = await SqliteStore.open(dir);
    await a.collection<Item>('keep').insertOne({ _id: 'p1', name: 'kept', n: 1 });
    await a.collection<Item>('keep').updateOne({ _id: 'p1' }, { $inc: { n: 1 } });
    await a.close();
    const b = await SqliteStore.open(dir);
    expect(await b.collection<Item>('keep').findOne({ _id: 'p1' })).toEqual({ _id: 'p1', name: 'kept', n: 2 });
    await b.close();
    await cleanup();
  });

  it('given a write that was committed, when the process dies without closing, then the next open has it (WAL)', async () => {
    const { dir, cleanup } = await tmpDir();
    const a = await SqliteStore.open(dir);
    await a.collection<Item>('wal').insertOne({ _id: 'w1', name: 'committed', n: 1 });
    // (no close: the WAL file holds the commit, as after kill -9)
    const b = await SqliteStore.open(dir);
    expect(await b.collection<Item>('wal').findOne({ _id: 'w1' })).toMatchObject({ name: 'committed' });
    await b.close();
    await a.close();
    await cleanup();
  });

  it('given two connections on one file, when one makes an indexed field an array, then the other finds elements the first writes and its own', async () => {
    const { dir, cleanup } = await tmpDir();
    const a = await SqliteStore.open(dir);
    const b = await SqliteStore.open(dir);
    const ca = a.collection<{ _id: string; groups: string[] }>('digests');
    const cb = b.collection<{ _id: string; groups: string[] }>('digests');
    await ca.createIndex({ groups: 1 });
    await cb.createIndex({ groups: 1 });
    // When a turns the field into an array (its element index is made) and b then writes without having seen one
    await ca.insertOne({ _id: 'a1', groups: ['x1', 'x2'] });
    await cb.insertOne({ _id: 'b1', groups: ['y1'] });
    await cb.updateOne({ _id: 'a1' }, { $push: { groups: 'x3' } });
    // Then both find every element, whoever wrote it
    for (const c of [ca, cb]) {
      expect((await c.find({ groups: { $in: ['x3', 'y1'] } }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['a1', 'b1']);
    }
    await a.close();
    await b.close();
    await cleanup();
  });

  it('given a TTL index, when its time has passed, then expired documents are gone and fresh ones stay', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const s = await SqliteStore.open(null, { clock });
    const c = s.collection<{ _id: string; at: Date }>('ttl');
    await c.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
    await c.insertOne({ _id: 'old', at: clock.date() });
    clock.advance(50 * 60_000);
    await c.insertOne({ _id: 'new', at: clock.date() });
    clock.advance(20 * 60_000);
    await c.countDocuments(); // a query starts the sweep
    await new Promise((r) => setImmediate(r));
    expect((await c.find({})).map((d) => d._id)).toEqual(['new']);
    await s.close();
  });

  it('given 10,000 documents and a query mixing SQL-translated and JS-only conditions, then exactly the matches come back', async () => {
    const s = await SqliteStore.open(null);
    const c = s.collection<{ _id: string; key: string; open: boolean; note: string }>('many');
    await c.createIndex({ key: 1 });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => c.insertOne({ _id: `m${i}`, key: `k${i}`, open: i % 2 === 0, note: `n${i}` })));
    expect(await c.countDocuments({ open: true })).toBe(5000);
    expect((await c.find({ key: { $in: ['k7', 'k8'] }, note: { $regex: /^n[78]$/ } }, { sort: { key: 1 } })).map((d) => d._id)).toEqual(['m7', 'm8']);
    await s.close();
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

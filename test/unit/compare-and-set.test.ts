/** Compare-and-set on one document: only changed fields are written, only in the version read, re-applied on conflict. */
import { describe, expect, it } from '@jest/globals';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { changeById, compareAndSet, ConflictError, diffUpdate } from '../../src/core/compare-and-set.js';

interface Rec { _id: string; version?: number; a?: number; b?: string; at?: Date; list?: string[] }

describe('compare-and-set', () => {
  it('writes the changed fields with $set, the removed ones with $unset, and increments the version', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(diffUpdate<Rec>({ _id: 'x', version: 3, a: 1, b: 'keep', at, list: ['p'] }, { _id: 'x', version: 3, a: 2, b: 'keep', at: new Date(at), list: ['p', 'q'] }))
      .toEqual({ $set: { a: 2, list: ['p', 'q'] }, $inc: { version: 1 } });
    expect(diffUpdate<Rec>({ _id: 'x', a: 1, b: 'gone' }, { _id: 'x', a: 1, b: undefined })).toEqual({ $unset: { b: true }, $inc: { version: 1 } });
    expect(diffUpdate<Rec>({ _id: 'x', a: 1 }, { _id: 'x', a: 1 })).toBeNull();
  });

  it('given someone wrote in between, then the write is refused and nothing of it is stored', async () => {
    const store = await EmbeddedStore.open(null);
    const c = store.collection<Rec>('recs');
    await c.insertOne({ _id: 'x', version: 1, a: 1, b: 'one' });
    const read = (await c.findOne({ _id: 'x' })) as Rec;
    await c.updateOne({ _id: 'x', version: 1 }, { $set: { b: 'theirs' }, $inc: { version: 1 } });
    expect(await compareAndSet(c, read, { ...read, a: 2 })).toBe('conflict');
    expect(await c.findOne({ _id: 'x' })).toMatchObject({ a: 1, b: 'theirs', version: 2 });
    await store.close();
  });

  it('given a record saved before versions existed, then the first change is conditioned on there being no version', async () => {
    const store = await EmbeddedStore.open(null);
    const c = store.collection<Rec>('recs');
    await c.insertOne({ _id: 'old', a: 1 });
    const read = (await c.findOne({ _id: 'old' })) as Rec;
    expect(await compareAndSet(c, read, { ...read, a: 2 })).toBe('written');
    expect(await compareAndSet(c, read, { ...read, a: 3 })).toBe('conflict');
    expect(await c.findOne({ _id: 'old' })).toMatchObject({ a: 2, version: 1 });
    await store.close();
  });

  it('given a concurrent change during the compute, then the change is re-applied to the fresh record and both survive', async () => {
    const store = await EmbeddedStore.open(null);
    const c = store.collection<Rec>('recs');
    await c.insertOne({ _id: 'x', version: 1, a: 1, list: [] });
    let calls = 0;
    const r = await changeById(c, 'x', async (cur) => {
      if (calls++ === 0) await c.updateOne({ _id: 'x' }, { $set: { b: 'theirs' }, $inc: { version: 1 } });
      return { ...cur, list: [...(cur.list ?? []), 'mine'] };
    });
    expect(calls).toBe(2);
    expect(r?.after).toMatchObject({ b: 'theirs', list: ['mine'], version: 3 });
    expect(await c.findOne({ _id: 'x' })).toMatchObject({ b: 'theirs', list: ['mine'], version: 3 });
    await store.close();
  });

  it('given the record keeps changing, then it gives up after the bounded retries with a clear error', async () => {
    const store = await EmbeddedStore.open(null);
    const c = store.collection<Rec>('recs');
    await c.insertOne({ _id: 'x', version: 1, a: 1 });
    const change = changeById(c, 'x', async (cur) => {
      await c.updateOne({ _id: 'x' }, { $inc: { version: 1 } });
      return { ...cur, a: (cur.a ?? 0) + 1 };
    }, 3);
    await expect(change).rejects.toThrow(ConflictError);
    await expect(change).rejects.toThrow('recs x kept changing under a compare-and-set (3 tries)');
    await store.close();
  });
});

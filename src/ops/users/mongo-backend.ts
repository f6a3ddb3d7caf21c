/**
 * User directory over the shared collection interface (src/core/store/types.ts): a real MongoDB
 * collection through the driver in production, the embedded engine in tests. A value typed in
 * chat is only ever a value inside `$in: [...]`, never a query operator.
 */
import type { Condition, LockedRule } from '../../config/users-schema.js';
import type { Collection, Doc, Filter, Update } from '../../core/store/types.js';
import type { BeforeAfter, ResolvedChange, UserBackend, UserRow } from './types.js';
import { pickFields } from './values.js';

const MONGO_OP = { eq: '$in', ne: '$ne', gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' } as const;

export function conditionFilter(c: Condition): Filter {
  // `$in: [v]` is equality in both MongoDB and the embedded engine (which has no `$eq`).
  return { [c.field]: c.op === 'eq' ? { $in: [c.value] } : { [MONGO_OP[c.op]]: c.value } };
}

export function ruleFilter(rule: LockedRule): Filter {
  if ('any' in rule) return rule.any.length === 1 ? conditionFilter(rule.any[0] as Condition) : { $or: rule.any.map(conditionFilter) };
  return rule.all.length === 1 ? conditionFilter(rule.all[0] as Condition) : { $and: rule.all.map(conditionFilter) };
}

export function lookupFilter(lookup: string[], value: string): Filter {
  const parts = lookup.map((f) => ({ [f]: { $in: [value] } }));
  return parts.length === 1 ? (parts[0] as Filter) : { $or: parts };
}

export function mongoUpdate(change: ResolvedChange): Update {
  const update: Update = {};
  if (Object.keys(change.set).length) update.$set = { ...change.set };
  if (change.unset.length) update.$unset = Object.fromEntries(change.unset.map((f) => [f, '']));
  return update;
}

export interface CollectionHandle {
  collection: Collection<Doc>;
  close(): Promise<void>;
}

export class MongoUserBackend implements UserBackend {
  readonly kind = 'mongodb' as const;
  readonly where: string;
  private handle: Promise<CollectionHandle> | undefined;

  /** `open` is called on first use (and again after a failed attempt). */
  constructor(collectionName: string, private readonly fields: string[], private readonly open: () => Promise<CollectionHandle>) {
    this.where = `MongoDB collection ${collectionName}`;
  }

  private async collection(): Promise<Collection<Doc>> {
    this.handle ??= this.open().catch((e: unknown) => {
      this.handle = undefined;
      throw e;
    });
    return (await this.handle).collection;
  }

  private row(doc: Doc): UserRow {
    return { key: doc._id, fields: pickFields(doc as unknown as Record<string, unknown>, this.fields) };
  }

  async findBy(lookup: string[], value: string, limit: number): Promise<UserRow[]> {
    const c = await this.collection();
    return (await c.find(lookupFilter(lookup, value), { limit })).map((d) => this.row(d));
  }

  async findWhere(rule: LockedRule, limit: number): Promise<{ rows: UserRow[]; total: number }> {
    const c = await this.collection();
    const filter = ruleFilter(rule);
    const [docs, total] = await Promise.all([c.find(filter, { limit }), c.countDocuments(filter)]);
    return { rows: docs.map((d) => this.row(d)), total };
  }

  async updateOne(key: unknown, change: ResolvedChange): Promise<BeforeAfter | null> {
    const c = await this.collection();
    const before = await c.findOneAndUpdate({ _id: key }, mongoUpdate(change), { returnDocument: 'before' });
    if (!before) return null;
    const after = await c.findOne({ _id: key });
    return { before: this.row(before), after: after ? this.row(after) : { key, fields: {} } };
  }

  async updateWhere(rule: LockedRule, change: ResolvedChange, limit: number): Promise<{ changed: BeforeAfter[]; count: number }> {
    const c = await this.collection();
    const filter = ruleFilter(rule);
    const before = await c.find(filter, { limit });
    const { modified } = await c.updateMany(filter, mongoUpdate(change));
    const changed: BeforeAfter[] = [];
    for (const b of before) {
      const after = await c.findOne({ _id: b._id });
      if (after) changed.push({ before: this.row(b), after: this.row(after) });
    }
    return { changed, count: modified };
  }

  stored(value: unknown): unknown {
    return value;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h.catch(() => undefined))?.close();
  }
}

/** The MongoDB store (`MONGODB_URL`): the same collection interface over the official driver. */
import type { MongoClient, Db, Collection as MongoCollection, Document } from 'mongodb';
import type * as MongoDriver from 'mongodb';
import { lazyRequire } from '../lazy-require.js';

const mongodb = lazyRequire<typeof MongoDriver>('mongodb');
import { DuplicateKeyError, type Collection, type Doc, type Filter, type FindOptions, type Sort, type Store, type Update, type UpdateResult } from './types.js';
import { newId } from '../ids.js';

function mapError(name: string, e: unknown): never {
  if ((e as { code?: number })?.code === 11000) throw new DuplicateKeyError(name, (e as Error).message);
  throw e;
}

/** Keep string ids on upsert: MongoDB would otherwise create an ObjectId. */
function withStringId(filter: Filter, update: Update): Update {
  if ('_id' in filter) return update;
  const onInsert = (update.$setOnInsert as Record<string, unknown> | undefined) ?? {};
  return { ...update, $setOnInsert: { _id: newId(), ...onInsert } };
}

class MongoBackedCollection<T extends Doc> implements Collection<T> {
  constructor(readonly name: string, private readonly c: MongoCollection<Document>) {}

  async insertOne(doc: Omit<T, '_id'> & { _id?: string }): Promise<T> {
    const full = { ...doc, _id: doc._id ?? newId() } as unknown as Document;
    try {
      await this.c.insertOne(full);
    } catch (e) {
      mapError(this.name, e);
    }
    return full as unknown as T;
  }

  async findOne(filter: Filter, options: { sort?: Sort } = {}): Promise<T | null> {
    return (await this.c.findOne(filter, options.sort ? { sort: options.sort } : {})) as unknown as T | null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    let cursor = this.c.find(filter);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return (await cursor.toArray()) as unknown as T[];
  }

  countDocuments(filter: Filter = {}): Promise<number> {
    return this.c.countDocuments(filter);
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    try {
      const r = await this.c.updateOne(filter, options.upsert ? withStringId(filter, update) : update, { upsert: options.upsert ?? false });
      return { matched: r.matchedCount, modified: r.modifiedCount, ...(r.upsertedId ? { upsertedId: String(r.upsertedId) } : {}) };
    } catch (e) {
      return mapError(this.name, e);
    }
  }

  async updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    const r = await this.c.updateMany(filter, update);
    return { matched: r.matchedCount, modified: r.modifiedCount };
  }

  async findOneAndUpdate(filter: Filter, update: Update, options: { upsert?: boolean; returnDocument?: 'before' | 'after'; sort?: Sort } = {}): Promise<T | null> {
    try {
      return (await this.c.findOneAndUpdate(filter, options.upsert ? withStringId(filter, update) : update, {
        upsert: options.upsert ?? false,
        returnDocument: options.returnDocument ?? 'after',
        ...(options.sort ? { sort: options.sort } : {}),
      })) as unknown as T | null;
    } catch (e) {
      return mapError(this.name, e);
    }
  }

  async deleteOne(filter: Filter): Promise<number> {
    return (await this.c.deleteOne(filter)).deletedCount;
  }

  async deleteMany(filter: Filter): Promise<number> {
    return (await this.c.deleteMany(filter)).deletedCount;
  }

  async createIndex(keys: Record<string, 1 | -1>, options: { unique?: boolean; expireAfterSeconds?: number } = {}): Promise<void> {
    await this.c.createIndex(keys, options);
  }
}

export class MongoStore implements Store {
  readonly kind = 'mongodb' as const;
  private constructor(private readonly client: MongoClient, private readonly db: Db) {}

  static async connect(url: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<MongoStore> {
    const client = new (mongodb().MongoClient)(url, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000, connectTimeoutMS: 5000 });
    try {
      await client.connect();
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    return new MongoStore(client, client.db());
  }

  collection<T extends Doc = Doc>(name: string): Collection<T> {
    return new MongoBackedCollection<T>(name, this.db.collection(name));
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async flush(): Promise<void> {
    // Every acknowledged write is already durable in MongoDB.
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The embedded store: one @seald-io/nedb datastore per collection, persisted as an append-only
 * file under the data directory and compacted on flush. Serves one replica.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type NedbModule from '@seald-io/nedb';
import { DuplicateKeyError, type Collection, type Doc, type Filter, type FindOptions, type Sort, type Store, type Update, type UpdateResult } from './types.js';
import { newId } from '../ids.js';

// @seald-io/nedb is CommonJS with an ESM-style type file: load it through require.
type Datastore<S> = NedbModule.default<S>;
const Datastore = createRequire(import.meta.url)('@seald-io/nedb') as typeof NedbModule.default;

/** A FIFO mutex: compound operations (find-then-update, upsert with $setOnInsert) stay atomic. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function mapError(name: string, e: unknown): never {
  const err = e as { errorType?: string; key?: unknown; message?: string };
  if (err?.errorType === 'uniqueViolated') throw new DuplicateKeyError(name, String(err.key));
  throw e;
}

/** MongoDB's $setOnInsert is not in nedb: split it off and apply it on insert only. */
function splitSetOnInsert(update: Update): { update: Update; onInsert: Record<string, unknown> } {
  const { $setOnInsert, ...rest } = update as { $setOnInsert?: Record<string, unknown> } & Update;
  return { update: rest, onInsert: $setOnInsert ?? {} };
}

/** The document an upsert creates: equality fields of the filter, $setOnInsert, then the update. */
function seedFromFilter(filter: Filter): Record<string, unknown> {
  const seed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$') || k.includes('.')) continue;
    if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v) && Object.keys(v).some((x) => x.startsWith('$'))) continue;
    seed[k] = v;
  }
  return seed;
}

class EmbeddedCollection<T extends Doc> implements Collection<T> {
  private readonly mutex = new Mutex();

  constructor(readonly name: string, private readonly db: Datastore<Record<string, unknown>>) {}

  insertOne(doc: Omit<T, '_id'> & { _id?: string }): Promise<T> {
    return this.mutex.run(async () => {
      try {
        return (await this.db.insertAsync({ ...doc, _id: doc._id ?? newId() })) as unknown as T;
      } catch (e) {
        return mapError(this.name, e);
      }
    });
  }

  async findOne(filter: Filter, options?: { sort?: Sort }): Promise<T | null> {
    if (options?.sort) return (await this.find(filter, { ...options, limit: 1 }))[0] ?? null;
    return ((await this.db.findOneAsync(filter)) as unknown as T) ?? null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    let cursor = this.db.findAsync(filter);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return (await cursor) as unknown as T[];
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    return (await this.db.countAsync(filter)) as unknown as number;
  }

  updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    return this.mutex.run(async () => {
      const r = await this.upsertOrUpdate(filter, update, options.upsert ?? false, false);
      return r.result;
    });
  }

  updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    return this.mutex.run(async () => {
      try {
        const { numAffected } = await this.db.updateAsync(filter, splitSetOnInsert(update).update, { multi: true });
        return { matched: numAffected, modified: numAffected };
      } catch (e) {
        return mapError(this.name, e);
      }
    });
  }

  findOneAndUpdate(
    filter: Filter,
    update: Update,
    options: { upsert?: boolean; returnDocument?: 'before' | 'after'; sort?: Sort } = {},
  ): Promise<T | null> {
    return this.mutex.run(async () => {
      const before = await this.findOne(filter, options.sort ? { sort: options.sort } : undefined);
      if (!before && !options.upsert) return null;
      const target = before ? { _id: before._id } : filter;
      const r = await this.upsertOrUpdate(target, update, options.upsert ?? false, true);
      return options.returnDocument === 'before' ? before : r.doc;
    });
  }

  deleteOne(filter: Filter): Promise<number> {
    return this.mutex.run(() => this.db.removeAsync(filter, { multi: false }));
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.mutex.run(() => this.db.removeAsync(filter, { multi: true }));
  }

  async createIndex(keys: Record<string, 1 | -1>, options: { unique?: boolean; expireAfterSeconds?: number } = {}): Promise<void> {
    const fields = Object.keys(keys);
    await this.db.ensureIndexAsync({
      fieldName: fields.length === 1 ? (fields[0] as string) : fields,
      ...(options.unique ? { unique: true } : {}),
      ...(options.expireAfterSeconds !== undefined ? { expireAfterSeconds: options.expireAfterSeconds } : {}),
    });
  }

  /** Must run inside the mutex. */
  private async upsertOrUpdate(filter: Filter, update: Update, upsert: boolean, wantDoc: boolean): Promise<{ result: UpdateResult; doc: T | null }> {
    const split = splitSetOnInsert(update);
    try {
      const existing = upsert ? await this.db.findOneAsync(filter) : null;
      if (upsert && !existing) {
        const seed = { ...seedFromFilter(filter), ...split.onInsert } as Record<string, unknown>;
        const _id = (seed._id as string | undefined) ?? newId();
        const inserted = await this.db.insertAsync({ ...seed, _id });
        const { affectedDocuments } = Object.keys(split.update).length
          ? await this.db.updateAsync({ _id }, split.update, { returnUpdatedDocs: true })
          : { affectedDocuments: inserted };
        return { result: { matched: 0, modified: 0, upsertedId: _id }, doc: affectedDocuments as unknown as T };
      }
      const { numAffected, affectedDocuments } = await this.db.updateAsync(filter, split.update, { returnUpdatedDocs: wantDoc });
      return { result: { matched: numAffected, modified: numAffected }, doc: (affectedDocuments as unknown as T) ?? null };
    } catch (e) {
      return mapError(this.name, e);
    }
  }
}

export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  private readonly collections = new Map<string, EmbeddedCollection<Doc>>();
  private readonly loads: Promise<void>[] = [];
  private closed = false;

  private constructor(private readonly dir: string | null) {}

  /** `dir` null keeps everything in memory (tests, `opsbot exec --no-store`). */
  static async open(dir: string | null): Promise<EmbeddedStore> {
    if (dir) await mkdir(dir, { recursive: true });
    return new EmbeddedStore(dir);
  }

  collection<T extends Doc = Doc>(name: string): Collection<T> {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid collection name: ${name}`);
    let c = this.collections.get(name);
    if (!c) {
      const db = new Datastore<Record<string, unknown>>(
        this.dir ? { filename: path.join(this.dir, `${name}.db`), autoload: true } : { inMemoryOnly: true },
      );
      if (db.autoloadPromise) this.loads.push(db.autoloadPromise);
      c = new EmbeddedCollection(name, db);
      this.collections.set(name, c);
    }
    return c as unknown as Collection<T>;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    await Promise.all(this.loads);
  }

  async flush(): Promise<void> {
    await Promise.all(this.loads);
    await Promise.all([...this.collections.values()].map((c) => c['db'].compactDatafileAsync()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}

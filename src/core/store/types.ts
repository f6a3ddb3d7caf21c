/**
 * The collection interface in MongoDB's own shape (DESIGN.md §5). Two implementations: the
 * embedded SQLite store (default, ./sqlite/) and MongoDB. Filters and updates use MongoDB's
 * operators; keep to the subset both support: $eq $ne $gt $gte $lt $lte $in $nin $exists $regex
 * $or $and; $set $unset $inc $push $addToSet $pull $min $max $setOnInsert.
 */
export type Doc = { _id: string };
export type Filter = Record<string, unknown>;
export type Update = Record<string, unknown>;
export type Sort = Record<string, 1 | -1>;

export interface FindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
}

export interface UpdateResult {
  matched: number;
  modified: number;
  upsertedId?: string;
}

export interface Collection<T extends Doc = Doc> {
  readonly name: string;
  insertOne(doc: Omit<T, '_id'> & { _id?: string }): Promise<T>;
  findOne(filter: Filter, options?: Pick<FindOptions, 'sort'>): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  countDocuments(filter?: Filter): Promise<number>;
  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<UpdateResult>;
  updateMany(filter: Filter, update: Update): Promise<UpdateResult>;
  /** Atomic find-and-modify; returns the document after the update unless `returnDocument: 'before'`. */
  findOneAndUpdate(
    filter: Filter,
    update: Update,
    options?: { upsert?: boolean; returnDocument?: 'before' | 'after'; sort?: Sort },
  ): Promise<T | null>;
  deleteOne(filter: Filter): Promise<number>;
  deleteMany(filter: Filter): Promise<number>;
  createIndex(keys: Record<string, 1 | -1>, options?: { unique?: boolean; expireAfterSeconds?: number }): Promise<void>;
}

export interface Store {
  readonly kind: 'embedded' | 'mongodb';
  collection<T extends Doc = Doc>(name: string): Collection<T>;
  /** Throws when the store cannot serve (for /readyz). */
  ping(): Promise<void>;
  /** Folds what was written into the main file (a WAL checkpoint for SQLite); every commit is durable already. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Duplicate key on a unique index, the same error shape from both implementations. */
export class DuplicateKeyError extends Error {
  readonly code = 11000;
  constructor(collection: string, detail: string) {
    super(`duplicate key in ${collection}: ${detail}`);
    this.name = 'DuplicateKeyError';
  }
}

export function isDuplicateKey(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 11000;
}

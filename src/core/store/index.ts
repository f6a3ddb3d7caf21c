import type { Store } from './types.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
import { EmbeddedStore } from './embedded.js';
import { MongoStore } from './mongo.js';

export * from './types.js';
export { EmbeddedStore, MongoStore, SqliteStore };

/** MongoDB when a URL is given, otherwise the embedded SQLite store under `dataDir` (in memory when null). */
export function openStore(opts: { mongodbUrl?: string | undefined; dataDir: string | null } & SqliteStoreOptions): Promise<Store> {
  const { mongodbUrl, dataDir, ...options } = opts;
  return mongodbUrl ? MongoStore.connect(mongodbUrl) : SqliteStore.open(dataDir, options);
}

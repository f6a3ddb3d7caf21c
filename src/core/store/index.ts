import type { Store } from './types.js';
import { EmbeddedStore } from './embedded.js';
import { MongoStore } from './mongo.js';

export * from './types.js';
export { EmbeddedStore, MongoStore };

/** MongoDB when a URL is given, otherwise the embedded store under `dataDir`. */
export function openStore(opts: { mongodbUrl?: string | undefined; dataDir: string | null }): Promise<Store> {
  return opts.mongodbUrl ? MongoStore.connect(opts.mongodbUrl) : EmbeddedStore.open(opts.dataDir);
}

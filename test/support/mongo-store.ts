/**
 * A MongoConnector over the embedded store (src/core/store): each database name maps to its own
 * in-memory EmbeddedStore, so the mongodb backup engine runs end to end without a server.
 * Records every connection it was asked for.
 */
import { EmbeddedStore, type Store } from '../../src/core/store/index.js';
import type { MongoConnector } from '../../src/ops/backup/mongo-driver.js';
import { storeDumpSource, storeRestoreSink } from '../../src/ops/backup/mongo-dump.js';

export interface StoreConnector {
  connect: MongoConnector;
  /** The store behind a database name (created on first use). */
  db(name: string): Promise<Store>;
  /** Collections per database that a dump lists (the store cannot enumerate them). */
  collections: Record<string, string[]>;
  calls: { url: string; database: string }[];
}

export function storeConnector(): StoreConnector {
  const dbs = new Map<string, Store>();
  const collections: Record<string, string[]> = {};
  const db = async (name: string) => {
    let s = dbs.get(name);
    if (!s) { s = await EmbeddedStore.open(null); dbs.set(name, s); }
    return s;
  };
  const calls: { url: string; database: string }[] = [];
  const connect: MongoConnector = async (url, database) => {
    calls.push({ url, database });
    const store = await db(database);
    return {
      source: (only) => storeDumpSource(store, database, only ?? collections[database] ?? []),
      sink: () => {
        const sink = storeRestoreSink(store, database);
        return {
          database,
          async replaceCollection(info, docs) {
            const list = (collections[database] ??= []);
            if (!list.includes(info.name)) list.push(info.name);
            return sink.replaceCollection(info, docs);
          },
        };
      },
      close: async () => undefined,
    };
  };
  return { connect, db, collections, calls };
}

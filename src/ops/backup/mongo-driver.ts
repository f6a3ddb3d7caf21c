/** The real MongoDB driver behind `DumpSource` / `RestoreSink`. */
import type { BSON, Db } from 'mongodb';
import type * as MongoDriver from 'mongodb';
import { lazyRequire } from '../../core/lazy-require.js';
import { UserError } from '../../core/errors.js';
import { DEFAULT_ID_INDEX, type CollectionInfo, type DumpSource, type RestoreSink } from './mongo-dump.js';

const mongodb = lazyRequire<typeof MongoDriver>('mongodb');

export interface MongoConnection {
  source(collections?: string[]): DumpSource;
  sink(): RestoreSink;
  close(): Promise<void>;
}

export type MongoConnector = (url: string, database: string, opts: { serverSelectionTimeoutMs: number }) => Promise<MongoConnection>;

/** `host:port` list of a MongoDB URL (for messages; no credentials). */
export function mongoHosts(url: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(url);
  return m?.[1] ?? '(unparsable URL)';
}

export function mongoDatabaseOf(url: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(url);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

function sourceOf(db: Db, only?: string[]): DumpSource {
  return {
    database: db.databaseName,
    async collections() {
      const infos = await db.listCollections({}, { nameOnly: false }).toArray();
      const out: CollectionInfo[] = [];
      for (const c of infos.sort((a, b) => a.name.localeCompare(b.name))) {
        if ((c as { type?: string }).type !== 'collection' || c.name.startsWith('system.')) continue;
        if (only && !only.includes(c.name)) continue;
        const indexes = (await db.collection(c.name).indexes()) as BSON.Document[];
        const uuid = (c as { info?: { uuid?: { toHexString?: () => string } } }).info?.uuid?.toHexString?.();
        out.push({ name: c.name, options: ((c as { options?: BSON.Document }).options ?? {}), indexes, ...(uuid ? { uuid } : {}) });
      }
      const missing = (only ?? []).filter((n) => !out.some((c) => c.name === n));
      if (missing.length) throw new UserError('not_found', `collections not found in ${db.databaseName}: ${missing.join(', ')}`);
      return out;
    },
    async *documents(name) {
      for await (const raw of db.collection(name).find({}, { raw: true, batchSize: 1000 })) yield Buffer.from(raw as unknown as Uint8Array);
    },
  };
}

function sinkOf(db: Db): RestoreSink {
  return {
    database: db.databaseName,
    async replaceCollection(info, documents) {
      await db.collection(info.name).drop().catch((e: { codeName?: string }) => {
        if (e.codeName !== 'NamespaceNotFound') throw e;
      });
      await db.createCollection(info.name, info.options as never);
      const coll = db.collection(info.name);
      let n = 0;
      let batch: BSON.Document[] = [];
      for await (const doc of documents) {
        batch.push(doc);
        if (batch.length >= 1000) { await coll.insertMany(batch, { ordered: true }); n += batch.length; batch = []; }
      }
      if (batch.length) { await coll.insertMany(batch, { ordered: true }); n += batch.length; }
      const indexes = info.indexes.filter((i) => i.name !== DEFAULT_ID_INDEX.name).map((i) => {
        const { v: _v, ns: _ns, ...spec } = i as BSON.Document & { key: BSON.Document; name: string };
        return spec as { key: BSON.Document; name: string };
      });
      if (indexes.length) await coll.createIndexes(indexes as never);
      return n;
    },
  };
}

export const driverConnector: MongoConnector = async (url, database, opts) => {
  const client = new (mongodb().MongoClient)(url, { serverSelectionTimeoutMS: opts.serverSelectionTimeoutMs, connectTimeoutMS: opts.serverSelectionTimeoutMs });
  try {
    await client.connect();
  } catch (e) {
    await client.close().catch(() => undefined);
    throw new UserError('unavailable', `MongoDB at ${mongoHosts(url)} is not reachable within ${opts.serverSelectionTimeoutMs}ms: ${(e as Error).message.split('\n')[0]}`);
  }
  const db = client.db(database);
  return { source: (only) => sourceOf(db, only), sink: () => sinkOf(db), close: () => client.close() };
};

/**
 * mongodump's directory layout, written and read by opsbot: `<db>/<collection>.bson` (the
 * documents, BSON back to back) and `<collection>.metadata.json` (options, indexes, name, type in
 * canonical Extended JSON) — what `mongorestore <dir>` reads. The data comes from a `DumpSource`
 * and goes to a `RestoreSink`, so the same code serves the real driver and the store's collection
 * interface.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { BSON } from 'mongodb';
import type * as MongoDriver from 'mongodb';
import { lazyRequire } from '../../core/lazy-require.js';
import type { Collection as StoreCollection, Store } from '../../core/store/types.js';
import { readBsonDocuments } from './bson-stream.js';

const mongodb = lazyRequire<typeof MongoDriver>('mongodb');
const bson = () => mongodb().BSON;

export interface CollectionInfo {
  name: string;
  options: BSON.Document;
  indexes: BSON.Document[];
  uuid?: string;
}

export interface DumpSource {
  readonly database: string;
  collections(): Promise<CollectionInfo[]>;
  /** Documents as raw BSON (driver) or objects (serialized here). */
  documents(collection: string): AsyncIterable<Buffer | BSON.Document>;
}

export interface RestoreSink {
  readonly database: string;
  /** Drops the collection's documents and inserts these; recreates the indexes. Returns the count. */
  replaceCollection(info: CollectionInfo, documents: AsyncIterable<BSON.Document>): Promise<number>;
}

export interface DumpFigures {
  collections: number;
  documents: number;
  bytes: number;
}

/** File name of a collection, escaped like mongodump does for characters a path cannot hold. */
export function collectionFileName(name: string): string {
  return name.replace(/[%/\\\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export const DEFAULT_ID_INDEX = { v: 2, key: { _id: 1 }, name: '_id_' };

/** Writes `<outDir>/<db>/...` from the source. */
export async function writeDump(source: DumpSource, outDir: string, signal?: AbortSignal): Promise<DumpFigures> {
  const dbDir = path.join(outDir, collectionFileName(source.database));
  await mkdir(dbDir, { recursive: true });
  const figures: DumpFigures = { collections: 0, documents: 0, bytes: 0 };
  for (const info of await source.collections()) {
    signal?.throwIfAborted();
    const base = path.join(dbDir, collectionFileName(info.name));
    const out = createWriteStream(`${base}.bson`, { mode: 0o600 });
    const closed = once(out, 'close');
    try {
      for await (const doc of source.documents(info.name)) {
        const bytes = Buffer.isBuffer(doc) ? doc : Buffer.from(bson().serialize(doc));
        figures.documents += 1;
        figures.bytes += bytes.length;
        if (!out.write(bytes)) await once(out, 'drain');
        signal?.throwIfAborted();
      }
    } finally {
      out.end();
      await closed;
    }
    const metadata = {
      indexes: info.indexes.length ? info.indexes : [DEFAULT_ID_INDEX],
      ...(info.uuid ? { uuid: info.uuid } : {}),
      collectionName: info.name,
      type: 'collection',
      options: info.options,
    };
    await writeFile(`${base}.metadata.json`, bson().EJSON.stringify(metadata, { relaxed: false }), { mode: 0o600 });
    figures.collections += 1;
  }
  return figures;
}

/** The collections of a dump folder `<dir>/<db>/`: metadata parsed, documents streamed on demand. */
export async function readDumpDir(dbDir: string): Promise<{ info: CollectionInfo; documents: () => AsyncIterable<BSON.Document> }[]> {
  const names = (await readdir(dbDir)).filter((f) => f.endsWith('.bson')).sort();
  const out: { info: CollectionInfo; documents: () => AsyncIterable<BSON.Document> }[] = [];
  for (const f of names) {
    const base = path.join(dbDir, f.slice(0, -'.bson'.length));
    let info: CollectionInfo;
    try {
      const meta = bson().EJSON.parse(await readFile(`${base}.metadata.json`, 'utf8'), { relaxed: false }) as Partial<CollectionInfo> & { collectionName?: string };
      info = { name: meta.collectionName ?? decodeURIComponent(path.basename(base)), options: meta.options ?? {}, indexes: meta.indexes ?? [], ...(meta.uuid ? { uuid: String(meta.uuid) } : {}) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path.basename(base)}.metadata.json is not valid Extended JSON: ${(e as Error).message}`);
      info = { name: decodeURIComponent(path.basename(base)), options: {}, indexes: [] };
    }
    out.push({ info, documents: () => readBsonDocuments(createReadStream(`${base}.bson`) as AsyncIterable<Buffer>) });
  }
  return out;
}

/** Restores every collection of a dump folder into the sink. */
export async function restoreDump(dbDir: string, sink: RestoreSink, signal?: AbortSignal): Promise<{ collections: number; documents: number }> {
  let documents = 0;
  const cols = await readDumpDir(dbDir);
  for (const c of cols) {
    signal?.throwIfAborted();
    documents += await sink.replaceCollection(c.info, c.documents());
  }
  return { collections: cols.length, documents };
}

/**
 * A dump source over the store's collection interface (src/core/store): opsbot's own state, and
 * the embedded engine in tests. The store cannot list collections, so they are named.
 */
export function storeDumpSource(store: Store, database: string, names: string[]): DumpSource {
  return {
    database,
    async collections() {
      return names.map((name) => ({ name, options: {}, indexes: [DEFAULT_ID_INDEX] }));
    },
    async *documents(name) {
      for (const doc of await store.collection(name).find({}, { sort: { _id: 1 } })) yield doc as BSON.Document;
    },
  };
}

export function storeRestoreSink(store: Store, database: string): RestoreSink {
  return {
    database,
    async replaceCollection(info, documents) {
      const coll = store.collection(info.name) as StoreCollection;
      await coll.deleteMany({});
      let n = 0;
      for await (const doc of documents) {
        await coll.insertOne(bson().deserialize(bson().serialize(doc)) as { _id: string });
        n += 1;
      }
      return n;
    },
  };
}

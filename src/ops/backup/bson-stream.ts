/**
 * Splits a byte stream into BSON documents (int32 little-endian length + body), the layout of
 * mongodump's `.bson` files and of its `--archive` format (where 0xFFFFFFFF marks a terminator).
 * Every document is fully parsed: a truncated or damaged file fails here.
 */
import type { BSON } from 'mongodb';
import type * as MongoDriver from 'mongodb';
import { lazyRequire } from '../../core/lazy-require.js';

const mongodb = lazyRequire<typeof MongoDriver>('mongodb');
const bson = () => mongodb().BSON;

export type BsonItem = { kind: 'doc'; raw: Buffer } | { kind: 'terminator' };

const MAX_DOC = 48 * 1024 * 1024; // MongoDB's limit is 16 MiB; archives add a little

export class BsonSplitter {
  private rest: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly allowTerminators = false) {}

  /** Feeds bytes; returns the complete items they finish. */
  push(chunk: Buffer): BsonItem[] {
    this.rest = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: BsonItem[] = [];
    let pos = 0;
    while (this.rest.length - pos >= 4) {
      const len = this.rest.readInt32LE(pos);
      if (len === -1 && this.allowTerminators) {
        out.push({ kind: 'terminator' });
        pos += 4;
        continue;
      }
      if (len < 5 || len > MAX_DOC) throw new Error(`bad BSON document length ${len} at byte ${this.offset + pos}`);
      if (this.rest.length - pos < len) break;
      const raw = this.rest.subarray(pos, pos + len);
      if (raw[len - 1] !== 0) throw new Error(`BSON document at byte ${this.offset + pos} is not terminated`);
      out.push({ kind: 'doc', raw: Buffer.from(raw) });
      pos += len;
    }
    this.offset += pos;
    this.rest = this.rest.subarray(pos);
    return out;
  }

  /** Throws when the stream ended inside a document. */
  end(): void {
    if (this.rest.length) throw new Error(`stream ends inside a BSON document (${this.rest.length} stray bytes at byte ${this.offset})`);
  }
}

/** Parses a raw document with every value kept in its BSON type (Int32, Long, Double…). */
export function parseBson(raw: Buffer): BSON.Document {
  return bson().deserialize(raw, { promoteValues: false, promoteLongs: false, promoteBuffers: false, validation: { utf8: true } });
}

/** Documents of a whole stream, parsed. */
export async function* readBsonDocuments(source: AsyncIterable<Buffer>): AsyncGenerator<BSON.Document> {
  const splitter = new BsonSplitter();
  for await (const chunk of source) {
    for (const item of splitter.push(chunk)) if (item.kind === 'doc') yield parseBson(item.raw);
  }
  splitter.end();
}

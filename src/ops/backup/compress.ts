/** Streams between artifacts and stored files: gzip + SHA-256 on the way in, gunzip (integrity-checked) on the way out. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { UserError } from '../../core/errors.js';

export interface StoredFile {
  size: number;
  checksum: string;
}

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

async function fsyncFile(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `src` to `dest` (gzip-compressed or as is) via a `.partial` file renamed at the end. */
export async function storeArtifact(src: string, dest: string, opts: { gzip: boolean; level: number; signal?: AbortSignal }): Promise<StoredFile> {
  const hash = createHash('sha256');
  const partial = `${dest}.partial`;
  try {
    const stages = opts.gzip ? [createGzip({ level: opts.level }), hashing(hash)] : [hashing(hash)];
    await pipeline([createReadStream(src), ...stages, createWriteStream(partial, { mode: 0o600 })], opts.signal ? { signal: opts.signal } : {});
    await fsyncFile(partial);
    await rename(partial, dest);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  const { size } = await stat(dest);
  return { size, checksum: hash.digest('hex') };
}

export async function sha256File(p: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(p), hashing(hash), nullSink(), signal ? { signal } : {});
  return hash.digest('hex');
}

/** Decompresses (or copies) a stored file to `dest`. A damaged gzip stream fails here (the `gzip -t` check). */
export async function extractArtifact(src: string, dest: string, gzip: boolean, signal?: AbortSignal): Promise<void> {
  try {
    const stages = gzip ? [createGunzip()] : [];
    await pipeline([createReadStream(src), ...stages, createWriteStream(dest, { mode: 0o600 })], signal ? { signal } : {});
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (gzip && (err.code?.startsWith('Z_') || /unexpected end of file|incorrect header|invalid/i.test(err.message))) {
      throw new UserError('failed', `gzip integrity check failed: ${err.message}`);
    }
    throw e;
  }
}

/** A writable that discards what it gets. */
export function nullSink(): Writable {
  return new Writable({ write(_chunk, _enc, cb) { cb(); } });
}

/** `gzip -t`: decompresses the whole file, keeping nothing; throws on a damaged stream. */
export async function gzipTest(p: string, signal?: AbortSignal): Promise<void> {
  await pipeline(createReadStream(p), createGunzip(), nullSink(), signal ? { signal } : {});
}

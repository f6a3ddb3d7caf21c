/**
 * `S3OffsiteStore`: one job's bucket and prefix through `@aws-sdk/client-s3`. Checksums are
 * computed by opsbot (SHA-256 in the object's metadata) and the SDK's own request checksums are
 * only sent when an operation requires them, so S3-compatible servers that predate them work.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { OffsiteConfig } from '../../../config/offsite-schema.js';
import { UserError } from '../../../core/errors.js';
import type { OffsiteStore, StoredObject } from './types.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** One PUT carries at most 5 GiB (S3's limit for a single upload). */
export const MAX_SINGLE_UPLOAD = 5 * 1024 ** 3;
const META_SHA256 = 'opsbot-sha256';
const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** What an S3 error means, in words that name the storage and never a secret. */
function s3Failure(e: unknown, what: string, where: string): UserError {
  if (e instanceof UserError) return e;
  const err = e as Error & { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.Code ?? err.name;
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken'].includes(code ?? '') || err.$metadata?.httpStatusCode === 403) {
    return new UserError('denied', `${where} refused the credentials for ${what} (${code ?? 'HTTP 403'}): check the access key variables of the job's offsite section`);
  }
  if (code === 'NoSuchBucket') return new UserError('not_found', `${where}: the bucket does not exist (${what})`);
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return new UserError('timeout', `${what} on ${where} was cancelled or timed out`);
  if (e instanceof S3ServiceException) return new UserError('failed', `${what} on ${where} failed: ${code}${err.message && err.message !== code ? `: ${err.message.slice(0, 200)}` : ''}`);
  return new UserError('unavailable', `${where} cannot be reached for ${what}: ${(err.message || String(e)).slice(0, 200)}`);
}

function hashing(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      count.n += chunk.length;
      done(null, chunk);
    },
  });
}

export class S3OffsiteStore implements OffsiteStore {
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly where: string;

  constructor(private readonly cfg: OffsiteConfig, credentials: S3Credentials) {
    this.bucket = cfg.bucket;
    this.client = new S3Client({
      region: cfg.region,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      forcePathStyle: cfg.forcePathStyle ?? !!cfg.endpoint,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      // Failures reach the caller as errors (and the reply); the SDK's own console warnings would only duplicate them.
      logger: QUIET,
    });
    this.where = `s3://${cfg.bucket}${cfg.endpoint ? ` on ${new URL(cfg.endpoint).host}` : ''}`;
  }

  describe(): string {
    return `s3://${this.cfg.bucket}/${this.cfg.prefix}${this.cfg.endpoint ? ` on ${new URL(this.cfg.endpoint).host}` : ` (${this.cfg.region})`}`;
  }

  urlOf(key: string): string {
    return `s3://${this.cfg.bucket}/${key}${this.cfg.endpoint ? ` (${new URL(this.cfg.endpoint).host})` : ''}`;
  }

  keyOf(target: string, fileName: string): string {
    return `${this.cfg.prefix}${target}/${fileName}`;
  }

  async put(file: string, key: string, meta: { size: number; sha256: string }, signal?: AbortSignal): Promise<void> {
    if (meta.size > MAX_SINGLE_UPLOAD) throw new UserError('invalid', `${file} is larger than 5 GiB, the most one S3 upload carries; it was not copied off-site`);
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.cfg.bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: meta.size,
        ContentType: 'application/octet-stream',
        Metadata: { [META_SHA256]: meta.sha256 },
        ...(this.cfg.sse ? { ServerSideEncryption: this.cfg.sse } : {}),
        ...(this.cfg.kmsKeyId ? { SSEKMSKeyId: this.cfg.kmsKeyId } : {}),
      }), signal ? { abortSignal: signal } : {});
    } catch (e) {
      throw s3Failure(e, `the upload of ${key}`, this.where);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<StoredObject | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: key }), signal ? { abortSignal: signal } : {});
      return { size: h.ContentLength ?? -1, sha256: h.Metadata?.[META_SHA256] };
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return undefined;
      throw s3Failure(e, `reading ${key}`, this.where);
    }
  }

  async download(key: string, file: string, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
    const partial = `${file}.partial`;
    const hash = createHash('sha256');
    const count = { n: 0 };
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key }), signal ? { abortSignal: signal } : {});
      if (!r.Body) throw new UserError('failed', `${this.where} sent no body for ${key}`);
      await pipeline(r.Body as Readable, hashing(hash, count), createWriteStream(partial, { mode: 0o600 }), ...(signal ? [{ signal }] : []));
      await rename(partial, file);
    } catch (e) {
      await rm(partial, { force: true }).catch(() => undefined);
      throw s3Failure(e, `the download of ${key}`, this.where);
    }
    return { size: count.n, sha256: hash.digest('hex') };
  }

  /** The SHA-256 of the object's bytes as stored (a full read, nothing written). */
  async hashObject(key: string, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
    const hash = createHash('sha256');
    const count = { n: 0 };
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key }), signal ? { abortSignal: signal } : {});
      for await (const chunk of r.Body as Readable) {
        hash.update(chunk as Buffer);
        count.n += (chunk as Buffer).length;
      }
    } catch (e) {
      throw s3Failure(e, `reading back ${key}`, this.where);
    }
    return { size: count.n, sha256: hash.digest('hex') };
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }), signal ? { abortSignal: signal } : {});
    } catch (e) {
      throw s3Failure(e, `deleting ${key}`, this.where);
    }
  }
}

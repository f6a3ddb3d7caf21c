/** An off-site copy of a backup (in its catalog record) and the storage it lives in. */

export interface OffsiteCopy {
  /** `s3://bucket/key` (with the endpoint's host when it is not AWS), for `backup list`. */
  url: string;
  bucket: string;
  key: string;
  size: number;
  /** The SHA-256 stored with the object (its metadata), equal to the local file's. */
  sha256: string;
  uploadedAt: Date;
  sse?: string;
  /** Retention in the bucket removed it. */
  deletedAt?: Date;
}

export interface StoredObject {
  size: number;
  /** The SHA-256 kept in the object's metadata (undefined: none stored). */
  sha256: string | undefined;
}

/** S3-compatible storage of one backup job. */
export interface OffsiteStore {
  /** `s3://bucket/prefix on https://endpoint`, for replies. */
  describe(): string;
  urlOf(key: string): string;
  readonly bucket: string;
  keyOf(target: string, fileName: string): string;
  put(file: string, key: string, meta: { size: number; sha256: string }, signal?: AbortSignal): Promise<void>;
  head(key: string, signal?: AbortSignal): Promise<StoredObject | undefined>;
  /** Downloads the object to `file`; returns its size and the SHA-256 of the bytes received. */
  download(key: string, file: string, signal?: AbortSignal): Promise<{ size: number; sha256: string }>;
  /** Reads the whole object back and hashes it (nothing is written). */
  hashObject(key: string, signal?: AbortSignal): Promise<{ size: number; sha256: string }>;
  remove(key: string, signal?: AbortSignal): Promise<void>;
}

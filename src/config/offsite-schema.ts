/**
 * `targets.<t>.backups[].offsite` (README "Backups", "Off-site copies"): each verified backup is
 * copied to S3-compatible storage. Credentials come from environment variables named here, never
 * from the YAML; the bucket's retention may differ from the local one.
 */
import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'An environment variable name');

/** S3's rules for bucket names (lower-case, digits, "." and "-", 3 to 63). */
const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'An S3 bucket name: 3-63 lower-case letters, digits, "." and "-"');

/** `backups/stormforge/`: key prefix, no leading "/", no "..", no control characters. */
const prefix = z.string().max(200).refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && ![...p].some((ch) => ch.charCodeAt(0) < 0x20), 'A key prefix: no leading "/", no "..", no control characters')
  .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`));

const offsiteRetentionSchema = z.object({
  keepDays: z.coerce.number().int().min(1).max(3650).optional(),
  keepLast: z.coerce.number().int().min(1).max(10_000).optional(),
}).strict();

export const offsiteSchema = z.object({
  /** The S3 API endpoint (`https://s3.eu-central-1.amazonaws.com`, `https://minio.internal:9000`); default: AWS for the region. */
  endpoint: z.url().optional(),
  bucket,
  prefix: prefix.default(''),
  region: z.string().regex(/^[a-z0-9-]{1,40}$/, 'A region name like eu-central-1').default('us-east-1'),
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need (default: on with an endpoint). */
  forcePathStyle: z.boolean().optional(),
  /** Environment variables holding the access key id, the secret key and (optionally) a session token. */
  accessKeyIdEnv: envName,
  secretAccessKeyEnv: envName,
  sessionTokenEnv: envName.optional(),
  /** Server-side encryption of each object: `AES256` (SSE-S3) or `aws:kms` (with kmsKeyId). */
  sse: z.enum(['AES256', 'aws:kms']).optional(),
  kmsKeyId: z.string().min(1).max(300).optional(),
  /** Retention in the bucket (default: the job's own retention). */
  retention: offsiteRetentionSchema.optional(),
  /** After the upload, read the object back and hash it (costs a download per backup). */
  readBack: z.boolean().default(false),
}).strict().superRefine((o, ctx) => {
  if (o.kmsKeyId && o.sse !== 'aws:kms') ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: 'kmsKeyId needs sse: aws:kms' });
});
export type OffsiteConfig = z.output<typeof offsiteSchema>;

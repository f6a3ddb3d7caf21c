/**
 * Config schemas of the database, certificate and Alertmanager probes (tls, mongo, redis,
 * postgres, sqlite, sql, alerts). Plain zod, no imports from schema.ts (which imports these).
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const count = z.coerce.number().min(0);
const percent = z.coerce.number().min(0).max(100);

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3, tb: 1024 ** 4 };

/** `512mb`, `1.5gb`, or a number of bytes → bytes. */
export const byteSize = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid size "${v}" (use e.g. 512mb, 2gb)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * unit);
});

/** A connection URL, usually `${SOME_ENV}`: validated loosely so that the error never echoes it. */
const connectionUrl = (schemes: string[]) => z.string().min(1).refine(
  (u) => schemes.some((s) => u.startsWith(`${s}://`)),
  { message: `Must be a ${schemes.map((s) => `${s}://`).join(' or ')} URL (put it in an environment variable: \${NAME})` },
);

export const tlsProbeSchema = z.object({
  host: z.string().min(1),
  port: port.default(443),
  /** SNI name and the name the certificate must match; defaults to host. */
  servername: z.string().min(1).optional(),
  warnDays: count.default(21),
  failDays: count.default(7),
  /** Check the chain and the host name too (default). With false only the expiry date counts. */
  verify: z.boolean().default(true),
  /** PEM file of the CA(s) to trust instead of the system store (private CAs). */
  ca: z.string().min(1).optional(),
}).strict();

export const mongoProbeSchema = z.object({
  url: connectionUrl(['mongodb', 'mongodb+srv']),
  /** Database to ping (default: the one in the URL, else `admin`). */
  database: z.string().min(1).optional(),
}).strict();

export const redisProbeSchema = z.object({
  url: connectionUrl(['redis', 'rediss']),
  warnUsedMemory: byteSize.optional(),
  maxUsedMemory: byteSize.optional(),
  /** Hit rate in percent below which the check warns / fails. */
  warnHitRate: percent.optional(),
  minHitRate: percent.optional(),
  /** Hit rate is judged only after this many lookups (hits + misses). */
  minLookups: count.default(100),
}).strict();

export const postgresProbeSchema = z.object({
  url: connectionUrl(['postgres', 'postgresql']),
}).strict();

export const sqliteProbeSchema = z.object({
  path: z.string().min(1),
  /** `full` runs PRAGMA integrity_check, `quick` PRAGMA quick_check (faster on big files). */
  check: z.enum(['full', 'quick']).default('full'),
}).strict();

export const sqlProbeSchema = z.object({
  /** PostgreSQL URL, or `path` for a SQLite file: exactly one. */
  url: connectionUrl(['postgres', 'postgresql']).optional(),
  path: z.string().min(1).optional(),
  /** One read-only statement returning one row with one number: `SELECT COUNT(*) FROM sync_queue WHERE synced = 0`. */
  query: z.string().min(1).max(4000),
  /** What the number is, for the report: `pending sync operations`. */
  label: z.string().min(1).max(80).optional(),
  warnAbove: z.coerce.number().optional(),
  failAbove: z.coerce.number().optional(),
  warnBelow: z.coerce.number().optional(),
  failBelow: z.coerce.number().optional(),
}).strict().refine((c) => (c.url === undefined) !== (c.path === undefined), {
  message: 'A sql check needs exactly one of url (PostgreSQL) or path (SQLite)',
});

export const alertsProbeSchema = z.object({
  /** Alertmanager base URL; defaults to ALERTMANAGER_URL. */
  url: z.url().optional(),
  /** Alertmanager matchers (`severity="critical"`, `team=~"ops|sre"`) narrowing which alerts count. */
  filter: z.array(z.string().min(1).max(200)).default([]),
  warnAbove: count.default(0),
  failAbove: count.optional(),
}).strict();

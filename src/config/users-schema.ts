/**
 * A target's user directory (`users:`): where accounts live (a MongoDB collection or a SQL table),
 * how a user is looked up, what "locked" means and what each action sets. PixelForge and
 * StormForge are both configuration of this shape, not code.
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

/** A column / field name: letters, digits, `_`; dotted paths for nested MongoDB fields. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62}){0,4}$/;
/** A SQL table: `users` or `schema.users`. */
export const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

const field = z.string().regex(FIELD_NAME, 'Use a field name of letters, digits and "_" (dotted for nested fields)');

/** A literal, or `$now` for the time the action runs. */
export const fieldValue = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
export type FieldValue = z.infer<typeof fieldValue>;
export const NOW = '$now';

export const conditionSchema = z.object({
  field,
  op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']).default('eq'),
  value: z.union([z.string().max(500), z.number(), z.boolean(), z.null()]),
}).strict();
export type Condition = z.infer<typeof conditionSchema>;

/** Conditions combined with OR (`any`) or AND (`all`). */
export const lockedSchema = z.union([
  z.object({ any: z.array(conditionSchema).min(1) }).strict(),
  z.object({ all: z.array(conditionSchema).min(1) }).strict(),
]);
export type LockedRule = z.infer<typeof lockedSchema>;

export const userActionSchema = z.object({
  set: z.record(field, fieldValue).default({}),
  /** Fields removed (MongoDB `$unset`; SQL sets them to NULL). */
  unset: z.array(field).default([]),
}).strict().refine((a) => Object.keys(a.set).length + a.unset.length > 0, { message: 'An action must set or unset at least one field' })
  .refine((a) => a.unset.every((f) => !(f in a.set)), { message: 'A field cannot be both set and unset' });
export type UserAction = z.infer<typeof userActionSchema>;

export const USER_ACTIONS = ['unlock', 'disable', 'enable'] as const;
export type UserActionName = (typeof USER_ACTIONS)[number];

export const userDirectorySchema = z.object({
  /** MongoDB: `url` (`${ENV}`, database in its path) and `collection`. */
  mongodb: z.object({
    url: z.string().regex(/^mongodb(\+srv)?:\/\//, 'Must be a mongodb:// or mongodb+srv:// URL (from an environment variable: ${NAME})'),
    collection: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,119}$/, 'Use a collection name of letters, digits, "_", "-" and "."'),
  }).strict().optional(),
  /** SQL: `postgres` URL or SQLite `path`, the `table`, and its key column. */
  sql: z.object({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'Must be a postgres:// URL (from an environment variable: ${NAME})').optional(),
    path: z.string().min(1).optional(),
    table: z.string().regex(TABLE_NAME, 'Use a table name of letters, digits and "_" (optionally schema.table)'),
    key: field.default('id'),
  }).strict().refine((s) => (s.url === undefined) !== (s.path === undefined), { message: 'Give exactly one of url (PostgreSQL) or path (SQLite)' }).optional(),
  /** Fields a user may be named by, tried together: `[email, username]`. */
  lookup: z.union([field, z.array(field).min(1).max(5)]).transform((v) => (Array.isArray(v) ? v : [v])),
  /** Fields shown in lists and before/after (besides the lookup and changed fields). */
  show: z.array(field).max(10).default([]),
  locked: lockedSchema.optional(),
  unlock: userActionSchema.optional(),
  disable: userActionSchema.optional(),
  enable: userActionSchema.optional(),
  /** Most users listed by `user locked` and changed by one `user unlock-all`. */
  maxBatch: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Bound on every database call of the directory (default 10s). */
  timeout: z.union([z.string(), z.number()]).default('10s').transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 5s, 1m)` });
      return z.NEVER;
    }
    return ms;
  }),
}).strict().superRefine((d, ctx) => {
  if ((d.mongodb === undefined) === (d.sql === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'A user directory needs exactly one of mongodb or sql' });
  }
  if (d.sql) {
    const rule = d.locked ? ('any' in d.locked ? d.locked.any : d.locked.all) : [];
    const names = [...d.lookup, ...d.show, ...rule.map((c) => c.field), ...[d.unlock, d.disable, d.enable].flatMap((a) => (a ? [...Object.keys(a.set), ...a.unset] : []))];
    for (const n of names) if (n.includes('.')) ctx.addIssue({ code: 'custom', message: `"${n}": SQL columns are plain names, no dotted paths` });
  }
  if (!d.unlock && !d.disable && !d.enable) {
    ctx.addIssue({ code: 'custom', message: 'A user directory needs at least one of unlock, disable, enable' });
  }
});
export type UserDirectoryConfig = z.infer<typeof userDirectorySchema>;

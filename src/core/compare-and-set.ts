/**
 * Compare-and-set on one document: read it, compute the next version, write only the fields that
 * changed, conditioned on the version that was read, and start again from a fresh read when
 * someone else wrote in between. Records two actors may change (two replicas, a cron `exec`, a
 * button press) are changed only through this, never by an unconditional whole-document write.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Collection, Doc, Filter, Update } from './store/types.js';

export interface Versioned extends Doc {
  /** Incremented by every change; absent on records written before versions existed. */
  version?: number;
}

/** Someone else changed the record every time it was read (retries exhausted). */
export class ConflictError extends Error {
  constructor(collection: string, id: string, tries: number) {
    super(`${collection} ${id} kept changing under a compare-and-set (${tries} tries)`);
    this.name = 'ConflictError';
  }
}

export const MAX_CAS_TRIES = 25;

/** The filter that matches the document only in the version that was read. */
export function versionFilter(doc: Versioned): Filter {
  return { _id: doc._id, version: doc.version === undefined ? { $exists: false } : doc.version };
}

/** `$set` of the changed fields, `$unset` of the removed ones, `$inc` of the version; null when nothing changed. */
export function diffUpdate<T extends Versioned>(before: T, after: T): Update | null {
  const set: Record<string, unknown> = {};
  const unset: Record<string, true> = {};
  const a = after as Record<string, unknown>;
  const b = before as Record<string, unknown>;
  for (const [k, v] of Object.entries(a)) {
    if (k === '_id' || k === 'version') continue;
    if (v === undefined) {
      if (b[k] !== undefined) unset[k] = true;
    } else if (!isDeepStrictEqual(v, b[k])) {
      set[k] = v;
    }
  }
  for (const k of Object.keys(b)) if (k !== '_id' && k !== 'version' && !(k in a) && b[k] !== undefined) unset[k] = true;
  if (Object.keys(set).length === 0 && Object.keys(unset).length === 0) return null;
  return { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1 } };
}

/**
 * Writes `after` over `before` if the stored document is still in `before`'s version:
 * `written`, `unchanged` (nothing to write), or `conflict` (someone else wrote: read and compute again).
 */
export async function compareAndSet<T extends Versioned>(c: Collection<T>, before: T, after: T): Promise<'written' | 'unchanged' | 'conflict'> {
  const update = diffUpdate(before, after);
  if (!update) return 'unchanged';
  const r = await c.updateOne(versionFilter(before), update);
  return r.matched > 0 ? 'written' : 'conflict';
}

/** The version `after` has once `compareAndSet(before, after)` wrote it. */
export function nextVersion(before: Versioned): number {
  return (before.version ?? 0) + 1;
}

/**
 * Read → compute → compare-and-set, retried on conflict. `compute` returns the next document, or
 * undefined to change nothing; it may throw (a user error) and is called again after a conflict
 * with the fresh document. Returns the stored document before and after, or null when it is gone.
 */
export async function changeById<T extends Versioned>(
  c: Collection<T>,
  id: string,
  compute: (cur: T) => T | undefined | Promise<T | undefined>,
  tries = MAX_CAS_TRIES,
): Promise<{ before: T; after: T; changed: boolean } | null> {
  for (let i = 0; i < tries; i++) {
    const cur = await c.findOne({ _id: id });
    if (!cur) return null;
    const next = await compute(cur);
    if (next === undefined) return { before: cur, after: cur, changed: false };
    const r = await compareAndSet(c, cur, next);
    if (r === 'unchanged') return { before: cur, after: cur, changed: false };
    if (r === 'written') return { before: cur, after: { ...next, version: nextVersion(cur) }, changed: true };
  }
  throw new ConflictError(c.name, id, tries);
}

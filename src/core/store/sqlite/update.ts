/**
 * MongoDB's update operators on a decoded document: $set $unset $inc $push (with $each)
 * $addToSet (with $each) $pull (a value or a condition) $min $max, and $setOnInsert when the
 * update inserts. Dotted paths create the objects on their way. Returns a new document.
 */
import { matches, type Filter } from './filter.js';
import { clone, compareSame, deepEqual, isOperatorObject, isPlainObject, isRegExp, type Plain } from './values.js';

export type Update = Record<string, unknown>;

const OPERATORS = new Set(['$set', '$unset', '$inc', '$push', '$addToSet', '$pull', '$min', '$max', '$setOnInsert']);

export function checkUpdate(update: Update): void {
  const keys = Object.keys(update);
  if (keys.length === 0) throw new Error('update document is empty');
  for (const k of keys) {
    if (!k.startsWith('$')) throw new Error(`update must use operators ($set, $inc, …), not a replacement document (field ${k})`);
    if (!OPERATORS.has(k)) throw new Error(`unsupported update operator ${k}`);
  }
}

export function applyUpdate<T extends Plain>(doc: T, update: Update, inserting: boolean): T {
  const out = clone(doc) as Plain;
  for (const [op, fields] of Object.entries(update)) {
    if (op === '$setOnInsert' && !inserting) continue;
    for (const [path, arg] of Object.entries(fields as Plain)) {
      if (path === '_id' && op !== '$setOnInsert' && !(op === '$set' && deepEqual(arg, out._id))) {
        if (!inserting) throw new Error('the _id field cannot be changed');
      }
      applyOne(out, op, path, arg);
    }
  }
  return out as T;
}

function applyOne(doc: Plain, op: string, path: string, arg: unknown): void {
  const { parent, key } = locate(doc, path, op !== '$unset' && op !== '$pull');
  if (!parent) return;
  const cur = parent[key];
  switch (op) {
    case '$set': case '$setOnInsert': parent[key] = clone(arg); return;
    case '$unset': delete parent[key]; return;
    case '$inc':
      if (typeof arg !== 'number') throw new Error(`$inc needs a number for ${path}`);
      if (cur !== undefined && typeof cur !== 'number') throw new Error(`cannot $inc non-number field ${path}`);
      parent[key] = (cur ?? 0) + arg;
      return;
    case '$min': case '$max': {
      const c = cur === undefined ? undefined : compareSame(arg, cur);
      if (cur === undefined || (c !== undefined && (op === '$min' ? c < 0 : c > 0))) parent[key] = clone(arg);
      return;
    }
    case '$push': case '$addToSet': {
      if (cur !== undefined && !Array.isArray(cur)) throw new Error(`${op} needs an array at ${path}`);
      const list = (cur as unknown[] | undefined) ?? [];
      const items = isPlainObject(arg) && '$each' in arg ? (arg.$each as unknown[]) : [arg];
      for (const item of items) if (op === '$push' || !list.some((x) => deepEqual(x, item))) list.push(clone(item));
      parent[key] = list;
      return;
    }
    case '$pull': {
      if (!Array.isArray(cur)) return;
      parent[key] = cur.filter((x) => !pulls(x, arg));
      return;
    }
  }
}

function pulls(item: unknown, cond: unknown): boolean {
  if (isOperatorObject(cond)) return matches({ v: item }, { v: cond });
  if (isPlainObject(cond) && isPlainObject(item)) return matches(item, cond as Filter);
  return deepEqual(item, cond);
}

/** The object holding the last segment of `path`; created on the way when `create`. */
function locate(doc: Plain, path: string, create: boolean): { parent: Plain | undefined; key: string } {
  const parts = path.split('.');
  let cur: Plain = doc;
  for (const part of parts.slice(0, -1)) {
    let next = (cur as Record<string, unknown>)[part];
    if (next === undefined || next === null) {
      if (!create) return { parent: undefined, key: '' };
      next = {};
      cur[part] = next;
    }
    if (typeof next !== 'object') throw new Error(`cannot traverse ${part} of ${path}: not an object`);
    cur = next as Plain;
  }
  return { parent: cur, key: parts[parts.length - 1] as string };
}

/** The document an upsert starts from: the equality conditions of the filter. */
export function seedOf(filter: Filter): Plain {
  const seed: Plain = {};
  const visit = (f: Filter) => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and') { for (const sub of v as Filter[]) visit(sub); continue; }
      if (k.startsWith('$')) continue;
      if (isOperatorObject(v)) {
        if ('$eq' in v) applyOne(seed, '$set', k, v.$eq);
        continue;
      }
      if (isRegExp(v)) continue;
      applyOne(seed, '$set', k, v);
    }
  };
  visit(filter);
  return seed;
}

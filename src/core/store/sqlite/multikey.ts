/**
 * Indexes on fields that hold arrays (MongoDB's multikey indexes). An expression index on a JSON
 * field indexes the array's text, not its elements, so `{ groups: id }` had to open every
 * candidate's array. For an indexed top-level field that has held an array, a side table
 * `mk_<collection>` holds one row per element (field, value, id), kept by triggers in the same
 * transaction as every insert, update and delete of the collection (from any process), and a
 * query on the field's elements becomes an indexed `id IN (SELECT …)`. Its rows are exactly what
 * json_each() gives for the field, so a query matches what it matched before.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ident, jsonPath } from './sql.js';

export const multikeyTable = (collection: string) => ident(`mk_${collection}`);

/** The index name createIndex gives a one-field index (either direction). */
export const indexName = (collection: string, fields: [string, 1 | -1][]) =>
  `ix_${collection}_${fields.map(([f, d]) => `${f.replace(/[^A-Za-z0-9_]/g, '_')}_${d}`).join('_')}`;

/** Inside a write transaction: whether `field` of the collection has a one-field index. */
export function hasFieldIndex(db: BetterSqlite3.Database, collection: string, field: string): boolean {
  const names = [indexName(collection, [[field, 1]]), indexName(collection, [[field, -1]])];
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name IN (?, ?)").get(...names) !== undefined;
}

/**
 * Inside a write transaction: the element index of `field` (a top-level field with a one-field
 * index that has held an array), with its triggers, filled from the rows already there. Does
 * nothing when it exists (created by this or another process).
 */
export function ensureMultikey(db: BetterSqlite3.Database, collection: string, table: string, field: string): boolean {
  const path = jsonPath(field);
  if (!path || field.includes('.') || field.startsWith('$') || field === '_id') return false;
  if (db.prepare('INSERT OR IGNORE INTO opsbot_multikey (collection, field) VALUES (?, ?)').run(collection, field).changes === 0) return true;
  const mk = multikeyTable(collection);
  const name = (what: string) => ident(`mk_${collection}_${field}_${what}`);
  const f = `'${field}'`;
  const elements = (row: 'NEW') => `SELECT ${f}, value, ${row}.id FROM json_each(${row}.doc, ${path}) WHERE json_type(${row}.doc, ${path}) = 'array'`;
  db.exec(`CREATE TABLE IF NOT EXISTS ${mk} (field TEXT NOT NULL, value, id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS ${ident(`mk_${collection}_value`)} ON ${mk} (field, value);
    CREATE INDEX IF NOT EXISTS ${ident(`mk_${collection}_id`)} ON ${mk} (id);
    CREATE TRIGGER IF NOT EXISTS ${name('ai')} AFTER INSERT ON ${table} BEGIN
      INSERT INTO ${mk} (field, value, id) ${elements('NEW')}; END;
    CREATE TRIGGER IF NOT EXISTS ${name('au')} AFTER UPDATE OF doc ON ${table} BEGIN
      DELETE FROM ${mk} WHERE id = OLD.id AND field = ${f};
      INSERT INTO ${mk} (field, value, id) ${elements('NEW')}; END;
    CREATE TRIGGER IF NOT EXISTS ${name('ad')} AFTER DELETE ON ${table} BEGIN
      DELETE FROM ${mk} WHERE id = OLD.id AND field = ${f}; END;
    INSERT INTO ${mk} (field, value, id) SELECT ${f}, j.value, t.id FROM ${table} t, json_each(t.doc, ${path}) j WHERE json_type(t.doc, ${path}) = 'array';`);
  return true;
}

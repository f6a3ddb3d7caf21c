/**
 * The one-time import of the nedb files (`<collection>.db`) found in the data directory: each
 * collection's documents and indexes go into SQLite in one transaction that also records the
 * import, then the file is renamed to `<collection>.db.migrated`. Safe when several processes
 * start at once (the record is checked inside the transaction) and when one dies half-way.
 */
import { readdirSync, readFileSync, renameSync, existsSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Store } from '../types.js';
import type { Clock } from '../../clock.js';
import type { SqliteCollection } from './collection.js';
import { parseNedb } from './nedb.js';

export interface MigrationLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const NEDB_FILE = /^([A-Za-z0-9_-]+)\.db(~?)$/;

export async function migrateNedbFiles(dir: string, store: Store, db: BetterSqlite3.Database, clock: Clock, log?: MigrationLog): Promise<void> {
  const files = readdirSync(dir).map((f) => NEDB_FILE.exec(f)).filter((m): m is RegExpExecArray => m !== null);
  // nedb writes `<name>.db~` and renames it over `<name>.db`: the `~` file counts only without the other.
  const names = new Set(files.map((m) => m[1] as string));
  for (const name of names) {
    const main = path.join(dir, `${name}.db`);
    const file = existsSync(main) ? main : `${main}~`;
    const key = `nedb-migrated:${name}`;
    const collection = store.collection(name) as unknown as SqliteCollection<{ _id: string }>;
    const done = db.transaction(() => {
      if (db.prepare('SELECT 1 FROM opsbot_meta WHERE key = ?').get(key)) return undefined;
      const parsed = parseNedb(readFileSync(file, 'utf8'));
      const documents = collection.importDocuments(parsed.docs.values());
      const indexes: string[] = [];
      for (const ix of parsed.indexes) {
        if (ix.fields.length === 1 && ix.fields[0] === '_id') continue;
        const keys = Object.fromEntries(ix.fields.map((f) => [f, 1 as const]));
        try {
          collection.ensureIndex(keys, { unique: ix.unique, ...(ix.expireAfterSeconds !== undefined ? { expireAfterSeconds: ix.expireAfterSeconds } : {}) });
          indexes.push(ix.fields.join(','));
        } catch (e) {
          log?.warn({ collection: name, index: ix.fields, err: (e as Error).message }, 'nedb index not recreated in SQLite');
        }
      }
      db.prepare('INSERT INTO opsbot_meta (key, value) VALUES (?, ?)').run(key, JSON.stringify({ documents, at: clock.date().toISOString() }));
      return { documents, indexes, unreadable: parsed.unreadable };
    }).immediate();
    try {
      renameSync(file, `${main}.migrated`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // another process renamed it first
    }
    if (done) {
      log?.info({ collection: name, documents: done.documents, indexes: done.indexes, unreadableLines: done.unreadable, from: file, renamedTo: `${main}.migrated` }, 'migrated nedb collection into SQLite');
    }
  }
}

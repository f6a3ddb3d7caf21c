/** Opening a SQLite file for reading only: the file must exist, nothing can be written through it. */
import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

/** Opens `path` read-only; throws a readable error when it is missing or not a file. */
export async function openSqliteReadOnly(path: string, busyTimeoutMs: number): Promise<{ db: SqliteDb; bytes: number }> {
  let bytes: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error(`${path} is not a file`);
    bytes = s.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path} does not exist`);
    if (code === 'EACCES') throw new Error(`${path}: permission denied`);
    throw e;
  }
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  // Belt and braces: refuse writes even through an ATTACH or a pragma.
  db.pragma('query_only = ON');
  return { db, bytes };
}

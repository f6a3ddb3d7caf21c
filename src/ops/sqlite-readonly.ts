/** Checks before opening a SQLite file read-only: it must exist and be a file (never created). */
import { stat } from 'node:fs/promises';

/** The file's size; throws a readable error when it is missing, not a file, or unreadable. */
export async function sqliteFileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error(`${path} is not a file`);
    return s.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path} does not exist`);
    if (code === 'EACCES') throw new Error(`${path}: permission denied`);
    throw e;
  }
}

/** SQLite's error codes in words. */
export function sqliteWords(code: string | undefined, message: string): string {
  if (code === 'SQLITE_NOTADB') return 'not a SQLite database';
  if (code === 'SQLITE_CORRUPT') return `corrupt (${message})`;
  if (code === 'SQLITE_BUSY') return 'locked by another process';
  if (code === 'SQLITE_CANTOPEN') return 'cannot be opened';
  return message;
}

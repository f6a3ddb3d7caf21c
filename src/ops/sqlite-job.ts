/**
 * Read-only SQLite work in a child process: better-sqlite3 is synchronous, and an integrity check
 * or a COUNT over a large file can take minutes. In a child it never blocks the bot's event loop,
 * and a timeout really stops it: the child is killed (a worker thread could not be — it cannot be
 * interrupted inside SQLite's C code, and would even hold the bot's exit).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

export type SqliteJob =
  | { kind: 'integrity'; pragma: 'integrity_check' | 'quick_check'; maxErrors: number }
  | { kind: 'number'; query: string };

export type SqliteJobResult =
  | { ok: true; rows: unknown[] }
  | { ok: false; message: string; code?: string };

// Plain CommonJS for `node -e`: the same from TypeScript sources (tests) and from dist.
const CHILD_SOURCE = `
const Database = require(process.argv[1]);
const { path, job, busyMs } = JSON.parse(process.argv[2]);
let db;
let out;
try {
  db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyMs });
  db.pragma('query_only = ON');
  let rows;
  if (job.kind === 'integrity') {
    rows = db.prepare('PRAGMA ' + (job.pragma === 'quick_check' ? 'quick_check' : 'integrity_check') + '(' + Number(job.maxErrors) + ')').pluck().all();
  } else {
    const stmt = db.prepare(job.query);
    if (!stmt.readonly) throw Object.assign(new Error('the query would write; only read-only queries are allowed'), { code: 'OPSBOT_WRITE' });
    if (!stmt.reader) throw Object.assign(new Error('the query returns no rows; it must return one number'), { code: 'OPSBOT_NO_ROWS' });
    rows = stmt.safeIntegers(false).all().slice(0, 2);
  }
  out = { ok: true, rows };
} catch (e) {
  out = { ok: false, message: String((e && e.message) || e), code: e && e.code };
} finally {
  try { if (db) db.close(); } catch (_) {}
}
process.stdout.write(JSON.stringify(out));
`;

const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** Runs one read-only job on `path`; rejects after `timeoutMs` (or on abort) with the child killed. */
export function runSqliteJob(path: string, job: SqliteJob, timeoutMs: number, signal?: AbortSignal): Promise<SqliteJobResult> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ path, job, busyMs: Math.min(timeoutMs, 2000) });
    execFile(process.execPath, ['-e', CHILD_SOURCE, betterSqlite3, payload], {
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 1024 * 1024,
      windowsHide: true,
      ...(signal ? { signal } : {}),
    }, (err, stdout) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.killed || e.name === 'AbortError' || signal?.aborted) return reject(new Error(`no answer within ${timeoutMs}ms`));
        return reject(new Error(`the SQLite helper process failed: ${e.message.split('\n')[0] ?? ''}`));
      }
      try {
        resolve(JSON.parse(stdout) as SqliteJobResult);
      } catch {
        reject(new Error('the SQLite helper process gave no result'));
      }
    });
  });
}

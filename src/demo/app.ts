/**
 * The demo's small local "app" (shop): a SQLite database of users, some of them locked, and the
 * program of a tiny HTTP service that answers `/health` with its PID and writes a log with errors.
 * Written under the demo folder; the database is created once and kept across demo runs.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import Database from 'better-sqlite3';

/** A user of the demo database: `loginAttempts >= 5` is locked. */
export interface DemoUser {
  email: string;
  name: string;
  role: string;
  loginAttempts: number;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { email: 'ann@shop.test', name: 'Ann Admin', role: 'admin', loginAttempts: 0 },
  { email: 'carol@shop.test', name: 'Carol Customer', role: 'customer', loginAttempts: 7 },
  { email: 'dave@shop.test', name: 'Dave Customer', role: 'customer', loginAttempts: 5 },
  { email: 'erin@shop.test', name: 'Erin Support', role: 'support', loginAttempts: 2 },
  { email: 'frank@shop.test', name: 'Frank Customer', role: 'customer', loginAttempts: 0 },
];

/** Creates the users table with the demo users, unless the database already exists. Returns whether it created it. */
export function seedDatabase(file: string): boolean {
  if (existsSync(file)) return false;
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE users (
      id INTEGER PRIMARY KEY,
      email TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      loginAttempts INTEGER NOT NULL DEFAULT 0,
      lockedAt TEXT,
      active INTEGER NOT NULL DEFAULT 1
    )`);
    const insert = db.prepare('INSERT INTO users (email, name, role, loginAttempts, lockedAt) VALUES (?, ?, ?, ?, ?)');
    const lockedAt = new Date(Date.UTC(2026, 0, 5, 8, 30)).toISOString();
    for (const u of DEMO_USERS) insert.run(u.email, u.name, u.role, u.loginAttempts, u.loginAttempts >= 5 ? lockedAt : null);
  } finally {
    db.close();
  }
  return true;
}

/**
 * The app's program (plain Node, no dependencies): `node app.mjs <port>`. It answers every path
 * with `{ status: "ok", pid }` and logs, with ISO timestamps, its start and a few errors of the
 * kind a real shop has (locked accounts, a payment timeout) on stdout and stderr.
 */
export const APP_PROGRAM = `// The opsbot demo app (written by \`opsbot demo\`): a tiny HTTP service with a log.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const log = (stream, level, text) => stream.write(\`\${new Date().toISOString()} \${level} \${text}\\n\`);
createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: 'ok', pid: process.pid }));
}).listen(port, '127.0.0.1', () => {
  log(process.stdout, 'INFO', \`shop listening on 127.0.0.1:\${port} pid \${process.pid}\`);
  log(process.stderr, 'ERROR', 'login failed for carol@shop.test: 7 failed attempts, account locked');
  log(process.stderr, 'ERROR', 'login failed for dave@shop.test: 5 failed attempts, account locked');
  log(process.stdout, 'WARN', 'slow query: SELECT * FROM orders WHERE status = ? took 1250ms');
  log(process.stderr, 'ERROR', 'payment provider timeout after 10s (order 1042)');
});
process.on('SIGTERM', () => {
  log(process.stdout, 'INFO', 'shop stopping (SIGTERM)');
  process.exit(0);
});
`;

export async function writeAppProgram(file: string): Promise<void> {
  await writeFile(file, APP_PROGRAM, { mode: 0o644 });
}

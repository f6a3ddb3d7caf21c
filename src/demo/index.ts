/**
 * `opsbot demo`: a small local app under `<data folder>/demo/` — a SQLite database of users (some
 * locked), an HTTP service run by a real supervisord (or a plain child process), a log with errors —
 * and the opsbot config for it, so every command family does real work without Docker or
 * credentials. The CLI starts the bot on it (src/cli.ts) and stops the app when the bot stops.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seedDatabase, writeAppProgram } from './app.js';
import { demoConfigYaml, DEMO_TARGET } from './config.js';
import { freePort, startApp, type DemoProcess } from './processes.js';

export { demoAlertCommand } from './alert-command.js';
export { DEMO_ALERT, DEMO_TARGET } from './config.js';
export { demoBanner } from './banner.js';

export interface Demo {
  /** `<data folder>/demo`, absolute. */
  dir: string;
  configFile: string;
  database: string;
  /** The port the app serves on. */
  appPort: number;
  app: DemoProcess;
  /** Whether this start created the database (a first run). */
  created: boolean;
}

export interface PrepareDemoOptions {
  /** The data folder (OPSBOT_DATA_DIR); the demo lives in its `demo/` subfolder. */
  dataDir: string;
  /** The node binary that runs the app. */
  node: string;
  /** PATH to look for supervisord in. */
  searchPath: string | undefined;
}

export async function prepareDemo(o: PrepareDemoOptions): Promise<Demo> {
  const dir = path.resolve(o.dataDir, 'demo');
  await mkdir(path.join(dir, 'backups'), { recursive: true });
  const database = path.join(dir, `${DEMO_TARGET}.db`);
  const created = seedDatabase(database);
  const appFile = path.join(dir, `${DEMO_TARGET}-app.mjs`);
  await writeAppProgram(appFile);
  const appPort = await freePort();
  const app = await startApp({ dir, program: DEMO_TARGET, node: o.node, appFile, port: appPort, searchPath: o.searchPath });
  const configFile = path.join(dir, 'opsbot.yaml');
  try {
    await writeFile(configFile, demoConfigYaml({ dir, database, port: appPort, app }), { mode: 0o644 });
  } catch (e) {
    await app.stop();
    throw e;
  }
  return { dir, configFile, database, appPort, app, created };
}

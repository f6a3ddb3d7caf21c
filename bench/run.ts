/**
 * `npm run bench`: runs every benchmark script in this folder, one after the other, each in its
 * own process (so one's memory does not skew another's). Each prints its own table, with the
 * baseline it measured in the same run. `npm run bench -- NAME` runs only the matching ones.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const f of scripts) {
  process.stdout.write(`\n=== ${f} ===\n`);
  try {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(here, f)], { stdio: 'inherit', timeout: 10 * 60_000 });
  } catch {
    failed++;
    process.stdout.write(`${f} failed\n`);
  }
}
process.stdout.write(`\n${scripts.length - failed} benchmark(s) ran, ${failed} failed\n`);
process.exitCode = failed ? 1 : 0;

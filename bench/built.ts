/** What the benchmarks of a real `opsbot start` share: dist/ built from the current src/. */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Runs `tsc -p tsconfig.build.json` when dist/cli.js is older than anything in src/. */
export function ensureBuilt(root: string): void {
  const cli = path.join(root, 'dist', 'cli.js');
  let built = 0;
  try { built = statSync(cli).mtimeMs; } catch { /* not built */ }
  if (built >= newest(path.join(root, 'src'))) return;
  process.stdout.write('building dist/ (npm run build) …\n');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

/** What the benchmarks of a real `opsbot start` share: dist/ built from the current src/, a process's CPU time, stopping the processes. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/** CPU time (user + system, all threads) a process has used, in µs (/proc/<pid>/stat, clock ticks of 10 ms). */
export async function cpuOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** SIGTERM to each, up to 10 s for them to exit, then SIGKILL to what is left. */
export async function stopProcesses(...children: ChildProcess[]): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await Promise.race([Promise.all(children.map(exited)), new Promise((r) => setTimeout(r, 10_000))]);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}

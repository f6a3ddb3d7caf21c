/**
 * `npm run bench`: runs every benchmark script in this folder, one after the other, each in its
 * own process (so one's memory does not skew another's). Each prints its own table, with the
 * baseline it measured in the same run, and its row of the README's Benchmarks table; those rows
 * are printed together at the end, as Markdown. `npm run bench -- NAME` runs only the matching ones.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUMMARY_MARK } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const NOT_BENCHMARKS = new Set(['run.ts', 'summary.ts', 'built.ts']);
/** Runs of half an hour or more: only when named (`npm run bench -- soak`), and without the 10-minute limit. */
const LONG_RUNS = new Set(['soak.ts', 'million.ts']);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f) && !f.startsWith('_'))
  .filter((f) => (only.length === 0 ? !LONG_RUNS.has(f) : only.some((o) => f.includes(o))))
  .sort();

/** Runs one script, passing its output through; resolves with its summary rows and exit code. */
function run(f: string): Promise<{ rows: { script: string; measures: string; result: string }[]; ok: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, f)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const rows: { script: string; measures: string; result: string }[] = [];
    let rest = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), (LONG_RUNS.has(f) ? 120 : 10) * 60_000);
    child.stdout.on('data', (d: Buffer) => {
      rest += d.toString();
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(SUMMARY_MARK)) rows.push(JSON.parse(line.slice(SUMMARY_MARK.length + 1)) as (typeof rows)[number]);
        else process.stdout.write(`${line}\n`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (rest) process.stdout.write(rest);
      resolve({ rows, ok: code === 0 });
    });
  });
}

let failed = 0;
const rows: { script: string; measures: string; result: string }[] = [];
for (const f of scripts) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = await run(f);
  rows.push(...r.rows);
  if (!r.ok) {
    failed++;
    process.stdout.write(`${f} failed\n`);
  }
}
process.stdout.write(`\n${scripts.length - failed} benchmark(s) ran, ${failed} failed\n`);
if (rows.length) {
  process.stdout.write(`\nREADME Benchmarks table (${os.cpus().length} CPUs, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}):\n\n| script | measures | result |\n|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| \`${r.script}\` | ${r.measures} | ${r.result} |\n`);
}
process.exitCode = failed ? 1 : 0;

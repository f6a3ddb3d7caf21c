/**
 * What the benchmark scripts share: a text table, and the one summary line per script that
 * `npm run bench` (run.ts) collects into the README's Benchmarks table.
 */
export const SUMMARY_MARK = '@@bench-summary';

export function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

/** Prints the script's row of the README table: what it measures and the result. */
export function summary(script: string, measures: string, result: string): void {
  process.stdout.write(`${SUMMARY_MARK}\t${JSON.stringify({ script, measures, result })}\n`);
}

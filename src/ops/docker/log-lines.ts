/** Docker's log stream → lines: frames split at newlines, each line's timestamp taken off. */
import { StringDecoder } from 'node:string_decoder';

/** Splits demultiplexed payload chunks into lines (a line may span several frames). */
export class LineSplitter {
  private carry = '';
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly onLine: (line: string) => void) {}
  write(chunk: Buffer): boolean {
    const text = this.carry + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.carry = parts.pop() ?? '';
    for (const p of parts) this.onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
    return true;
  }
  flushRest(): void {
    this.carry += this.decoder.end();
    if (this.carry) this.onLine(this.carry);
    this.carry = '';
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?/;

/** `2026-11-24T09:24:03.861953199Z text` → [ms, text]. Docker timestamps carry nanoseconds; ms is enough. */
export function splitTimestamp(line: string): [number, string] {
  const m = TIMESTAMP.exec(line);
  if (!m) return [Number.NaN, line];
  const stamp = (m[1] as string).replace(/(\.\d{3})\d+/, '$1');
  return [Date.parse(stamp), line.slice(m[0].length)];
}

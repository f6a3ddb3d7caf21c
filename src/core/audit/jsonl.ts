/** `audit --export jsonl`: one JSON object per line, oldest first, the fields of the entry without store internals. */
import type { AuditEntry } from './entry.js';

export function auditJsonl(entries: AuditEntry[]): string {
  return [...entries]
    .sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime())
    .map(({ _id: _key, version: _version, ...e }) => JSON.stringify(e))
    .join('\n');
}

/** Plain-text rendering of a Reply: aligned tables; status words coloured only on a terminal. */
import { STATUS_WORD, type Reply, type Status } from '../../../core/reply.js';
import { mentionWords } from '../../../core/mentions.js';

const COLOUR: Record<string, string> = {
  ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m', FAIL: '\x1b[31m', error: '\x1b[31m', denied: '\x1b[35m', info: '\x1b[36m',
  OK: '\x1b[32m', WARN: '\x1b[33m', ERROR: '\x1b[31m', DENIED: '\x1b[35m', INFO: '\x1b[36m',
  firing: '\x1b[31m', resolved: '\x1b[32m', acknowledged: '\x1b[33m', silenced: '\x1b[90m',
};
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

export interface ConsoleRenderOptions {
  colour: boolean;
  /** Longest cell before it is cut with "…". */
  maxCell?: number;
}

function paint(text: string, key: string, on: boolean): string {
  const c = COLOUR[key];
  return on && c ? `${c}${text}${RESET}` : text;
}

function cut(s: string, max: number): string {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function renderTable(columns: string[], rows: string[][], opts: ConsoleRenderOptions): string {
  const max = opts.maxCell ?? 80;
  const cells = rows.map((r) => columns.map((_, i) => cut(r[i] ?? '', max)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: string[], header = false) =>
    r.map((cell, i) => {
      const padded = i === r.length - 1 ? cell : cell.padEnd(widths[i] as number);
      return header ? (opts.colour ? `${BOLD}${padded}${RESET}` : padded) : paint(padded, cell, opts.colour);
    }).join('  ').trimEnd();
  return [line(columns, true), line(widths.map((w) => '-'.repeat(w))), ...cells.map((r) => line(r))].join('\n');
}

export function renderConsole(reply: Reply, opts: ConsoleRenderOptions): string {
  const out: string[] = [];
  // The console has no pings: the mentions lead in words (`@here slack:usergroup:S0DBA`).
  if (reply.mentions?.length) out.push([...new Set(reply.mentions.map(mentionWords))].join(' '));
  const word = `[${STATUS_WORD[reply.status as Status]}]`;
  out.push(`${paint(word, reply.status, opts.colour)} ${opts.colour ? BOLD + reply.title + RESET : reply.title}`);
  for (const b of reply.blocks) {
    switch (b.type) {
      case 'text':
        out.push(b.text);
        break;
      case 'fields': {
        const w = Math.max(0, ...b.fields.map((f) => f.label.length));
        out.push(b.fields.map((f) => `${`${f.label}:`.padEnd(w + 1)} ${f.value}`).join('\n'));
        break;
      }
      case 'table':
        if (b.title) out.push(b.title);
        out.push(b.rows.length ? renderTable(b.columns, b.rows, opts) : '(none)');
        break;
      case 'code':
        // Machine output (JSONL) stays as it is, so it can be copied; other code is indented.
        out.push(`${b.title ? `${b.title}\n` : ''}${b.language === 'jsonl' ? b.text : b.text.split('\n').map((l) => `  ${l}`).join('\n')}`);
        break;
      case 'links':
        out.push(b.links.map((l) => `${l.label}: ${l.url}`).join('\n'));
        break;
    }
  }
  if (reply.buttons?.length) {
    out.push(`Actions: ${reply.buttons.map((b) => (b.command ? `${b.label} → \`${b.command}\`` : `${b.label} → ${b.url}`)).join(' · ')}`);
  }
  if (reply.footer) out.push(opts.colour ? `\x1b[90m${reply.footer}${RESET}` : reply.footer);
  return out.join('\n');
}

/**
 * Log lines as the text of a code block: newest kept, secrets redacted, control characters
 * dropped, each line cut. The bound here is neutral (how much log text one reply carries at
 * most); each surface's renderer fits the code block to its own limits, keeping its end.
 */
import type { Redactor } from '../../core/redact.js';
import type { ReplyBlock } from '../../core/reply.js';
import type { LogLine } from '../../ops/docker/index.js';

/** Characters of log text one reply carries at most (a few screens); renderers cut further to their platform's limits. */
export const LOG_TEXT_MAX = 8_000;
const LINE_MAX = 300;

/** Log lines as text that fits the budget: newest kept, with a count of what was left out. */
export function renderLogLines(lines: LogLine[], redactor: Redactor, opts: { multi: boolean; budget?: number }): { text: string; shown: number; omitted: number } {
  const budget = opts.budget ?? LOG_TEXT_MAX;
  const out: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as LogLine;
    const time = Number.isNaN(l.time) ? '' : `${new Date(l.time).toISOString().slice(11, 19)} `;
    // Redact only what can be shown (bounded work on huge lines), drop terminal control
    // characters (colour codes, bells), then cut to LINE_MAX.
    const visible = l.text.length > LINE_MAX * 4 ? l.text.slice(0, LINE_MAX * 4) : l.text;
    // eslint-disable-next-line no-control-regex
    let text = redactor.text(visible).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
    if (text.length > LINE_MAX) text = `${text.slice(0, LINE_MAX)}… (+${Math.max(1, l.text.length - LINE_MAX)} chars)`;
    const row = `${time}${opts.multi ? `${l.container} ` : ''}${l.stream === 'stderr' ? 'err' : 'out'} | ${text}`;
    if (used + row.length + 1 > budget && out.length > 0) break;
    out.push(row);
    used += row.length + 1;
  }
  out.reverse();
  return { text: out.join('\n'), shown: out.length, omitted: lines.length - out.length };
}

export function logBlock(title: string, lines: LogLine[], redactor: Redactor, multi: boolean): ReplyBlock[] {
  if (lines.length === 0) return [{ type: 'text', text: `${title}: no log lines.` }];
  const r = renderLogLines(lines, redactor, { multi });
  return [
    { type: 'code', title, text: r.text, keep: 'end' },
    ...(r.omitted ? [{ type: 'text' as const, text: `${r.omitted} earlier line${r.omitted === 1 ? '' : 's'} not shown (output limit).` }] : []),
  ];
}

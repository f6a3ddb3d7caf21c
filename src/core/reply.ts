/**
 * The platform-neutral reply every handler returns. Each surface renders it (console text,
 * Slack Block Kit, Discord embeds) and enforces its own platform's limits.
 */
import type { Mention } from './mentions.js';

export type { Mention } from './mentions.js';
export type Status = 'ok' | 'warn' | 'fail' | 'info' | 'denied' | 'error';

export type ReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'fields'; fields: { label: string; value: string }[] }
  | { type: 'table'; title?: string; columns: string[]; rows: string[][] }
  /**
   * `keep: 'end'`: when a surface must cut the text to fit, it keeps the last lines (logs: the newest).
   * `language: 'jsonl'` marks machine output that `opsbot exec` prints as it is.
   */
  | { type: 'code'; title?: string; text: string; keep?: 'start' | 'end'; language?: string }
  | { type: 'links'; links: { label: string; url: string }[] };

export interface ReplyButton {
  label: string;
  /** The command the press runs, through the same router as typed commands: `ack a1b2`. */
  command?: string;
  /** A link button instead of a command. */
  url?: string;
  style?: 'primary' | 'danger';
}

export interface Reply {
  title: string;
  status: Status;
  blocks: ReplyBlock[];
  buttons?: ReplyButton[];
  /** `ephemeral`: only the asker sees it (errors, help, denials); `channel`: the team sees it. */
  visibility?: 'ephemeral' | 'channel';
  footer?: string;
  /**
   * Who the message pings (configured mentions only, never text from a label or a command), shown
   * as a leading line: Slack `<!here>`, Discord `@here` with `allowed_mentions` naming exactly these.
   */
  mentions?: Mention[];
}

export const STATUS_WORD: Record<Status, string> = {
  ok: 'OK', warn: 'WARN', fail: 'FAIL', info: 'INFO', denied: 'DENIED', error: 'ERROR',
};

/** Worst first: the overall status of several results is the first one present in this order. */
const SEVERITY: Status[] = ['error', 'fail', 'denied', 'warn', 'ok', 'info'];

export function worstStatus(statuses: Iterable<Status>, empty: Status = 'info'): Status {
  let best = SEVERITY.length;
  for (const s of statuses) best = Math.min(best, SEVERITY.indexOf(s));
  return SEVERITY[best] ?? empty;
}

export function reply(title: string, status: Status, ...blocks: ReplyBlock[]): Reply {
  return { title, status, blocks };
}

export function textReply(title: string, status: Status, text: string, visibility?: Reply['visibility']): Reply {
  return { title, status, blocks: text ? [{ type: 'text', text }] : [], ...(visibility ? { visibility } : {}) };
}

export function table(columns: string[], rows: string[][], title?: string): ReplyBlock {
  return title ? { type: 'table', title, columns, rows } : { type: 'table', columns, rows };
}

export function fields(entries: Record<string, string | number | undefined>): ReplyBlock {
  return {
    type: 'fields',
    fields: Object.entries(entries)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([label, value]) => ({ label, value: String(value) })),
  };
}

/** Plain text of a reply, for surfaces without rich formatting and for fallbacks (Slack `text`). */
export function replyPlainSummary(r: Reply): string {
  const first = r.blocks.find((b) => b.type === 'text') as { text: string } | undefined;
  return `[${STATUS_WORD[r.status]}] ${r.title}${first ? ` — ${first.text.split('\n')[0]}` : ''}`;
}

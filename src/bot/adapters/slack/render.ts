/**
 * Block Kit renderer for the platform-neutral Reply. Stays inside every Slack limit
 * (limits.ts): long text is split into sections of at most 3,000 characters, fields go ten to a
 * section, tables become monospaced sections, and whatever does not fit in 50 blocks is
 * replaced by "… and N more". Slack never gets a payload it would reject.
 */
import { replyPlainSummary, type Mention, type Reply, type ReplyBlock, type Status } from '../../../core/reply.js';
import { SLACK_LIMITS as L, type SlackBlock, type SlackButton, type SlackMessage } from './limits.js';
import { cutPlain, escapeCut, escapeMrkdwn, link, splitEscaped } from './mrkdwn.js';

export const STATUS_EMOJI: Record<Status, string> = {
  ok: ':white_check_mark:',
  warn: ':warning:',
  fail: ':x:',
  info: ':information_source:',
  denied: ':no_entry:',
  error: ':rotating_light:',
};

export interface RenderOptions {
  /** Extra context line(s) shown with the footer: who ran what (`/ops restart web` by <@U1>). Already mrkdwn. */
  context?: string[];
  /** Longest table cell before it is cut (default 60). */
  maxCell?: number;
  /** At most this many blocks (default and ceiling: Slack's 50). */
  maxBlocks?: number;
  /** Prefix for the block_ids this renderer sets (default `opsbot`), so two renderings can share a message. */
  idPrefix?: string;
}

/** A rendered content block and how many source units (rows, lines, fields, links) it carries. */
interface Piece {
  block: SlackBlock;
  units: number;
  unit: string;
  source: number;
}

const FENCE = '```';
/** Longest table line: the header (two lines) repeats in every chunk, so three lines must fit in a section. */
const TABLE_LINE = 900;
const section = (text: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** Packs lines (already escaped) into section texts of at most `max` characters, with optional prefix/suffix per chunk. */
function pack(lines: string[], opts: { prefix?: string; suffix?: string; first?: string } = {}): { text: string; units: number }[] {
  const pre = opts.prefix ?? '';
  const suf = opts.suffix ?? '';
  const room = L.sectionText - pre.length - suf.length;
  const out: { text: string; units: number }[] = [];
  let cur: string[] = [];
  let len = 0;
  let units = 0;
  let head = opts.first ? `${opts.first}\n` : '';
  const flush = () => {
    if (cur.length === 0 && !head) return;
    out.push({ text: `${head}${pre}${cur.join('\n')}${suf}`, units });
    cur = [];
    len = 0;
    units = 0;
    head = '';
  };
  for (const line of lines) {
    const parts = splitEscaped(line, Math.max(1, room - head.length));
    parts.forEach((part, i) => {
      const add = (cur.length ? 1 : 0) + part.length;
      if (len + add > room - head.length) flush();
      cur.push(part);
      len += (cur.length > 1 ? 1 : 0) + part.length;
      if (i === parts.length - 1) units += 1;
    });
  }
  flush();
  return out;
}

function tableLines(columns: string[], rows: string[][], maxCell: number): { header: string[]; body: string[] } {
  const cut = (s: string) => {
    const flat = s.includes('\n') || s.includes('```') ? s.replace(/\s*\n\s*/g, ' ').replace(/```/g, 'ˋˋˋ') : s;
    return flat.length > maxCell ? `${flat.slice(0, maxCell - 1)}…` : flat;
  };
  const cells = rows.map((r) => columns.map((_, i) => cut(r[i] ?? '')));
  const head = columns.map(cut);
  const widths = head.map((c) => c.length);
  for (const r of cells) r.forEach((c, i) => { if (c.length > (widths[i] as number)) widths[i] = c.length; });
  const line = (r: string[]) => escapeCut(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd(), TABLE_LINE);
  return { header: [line(head), line(widths.map((w) => '-'.repeat(Math.min(w, maxCell))))], body: cells.map(line) };
}

function piecesOf(b: ReplyBlock, source: number, maxCell: number): Piece[] {
  const mk = (chunks: { text: string; units: number }[], unit: string): Piece[] => chunks.map((c) => ({ block: section(c.text), units: c.units, unit, source }));
  switch (b.type) {
    case 'text': {
      if (!b.text.trim()) return [];
      return mk(pack(escapeMrkdwn(b.text).split('\n').map((l) => (l === '' ? ' ' : l))), 'lines');
    }
    case 'code': {
      if (!b.text) return [];
      const first = b.title ? `*${escapeCut(b.title, 200)}*` : undefined;
      return mk(pack(escapeMrkdwn(b.text.replace(/```/g, 'ˋˋˋ')).split('\n'), { prefix: `${FENCE}\n`, suffix: `\n${FENCE}`, ...(first ? { first } : {}) }), 'lines');
    }
    case 'table': {
      const first = b.title ? `*${escapeCut(b.title, 200)}*` : undefined;
      if (b.rows.length === 0) return mk([{ text: `${first ? `${first}\n` : ''}_(none)_`, units: 0 }], 'rows');
      const { header, body } = tableLines(b.columns, b.rows, maxCell);
      // The header repeats in every chunk so each section reads on its own.
      const hdr = header.join('\n');
      return mk(pack(body, { prefix: `${FENCE}\n${hdr}\n`, suffix: `\n${FENCE}`, ...(first ? { first } : {}) }), 'rows');
    }
    case 'fields': {
      const out: Piece[] = [];
      for (let i = 0; i < b.fields.length; i += L.fieldsPerSection) {
        const group = b.fields.slice(i, i + L.fieldsPerSection);
        out.push({
          block: { type: 'section', fields: group.map((f) => ({ type: 'mrkdwn', text: `*${escapeCut(f.label, 200)}*\n${escapeCut(f.value || '-', L.fieldText - 210)}` })) },
          units: group.length,
          unit: 'fields',
          source,
        });
      }
      return out;
    }
    case 'links': {
      const lines = b.links.map((l) => {
        const s = `• ${link(l.url, l.label)}`;
        return s.length <= L.sectionText - 10 ? s : `• ${escapeCut(l.label, 500)}`;
      });
      return mk(pack(lines), 'links');
    }
  }
}

function buttonsOf(reply: Reply): { elements: SlackButton[]; dropped: number } {
  const elements: SlackButton[] = [];
  let dropped = 0;
  (reply.buttons ?? []).forEach((b, i) => {
    const text = { type: 'plain_text' as const, text: cutPlain(b.label.trim() || b.command || 'Open', L.buttonText), emoji: true };
    const style = b.style ? { style: b.style } : {};
    if (elements.length >= L.actionsElements) {
      dropped++;
    } else if (b.command && b.command.length <= L.buttonValue && b.command.trim()) {
      elements.push({ type: 'button', text, action_id: `opsbot:run:${i}`, value: b.command, ...style });
    } else if (!b.command && b.url && b.url.length <= L.buttonUrl && /^https?:\/\//i.test(b.url)) {
      elements.push({ type: 'button', text, action_id: `opsbot:link:${i}`, url: b.url, ...style });
    } else {
      // A command longer than a button may carry cannot be run from a button: leave it out.
      dropped++;
    }
  });
  return { elements, dropped };
}

/** Slack's ping for a mention; mentions of other surfaces are not Slack's to render. */
function slackMention(m: Mention): string | undefined {
  switch (m.kind) {
    case 'here': return '<!here>';
    case 'channel': return '<!channel>';
    case 'user': return m.surface === 'slack' && /^[UW][A-Z0-9]+$/.test(m.id) ? `<@${m.id}>` : undefined;
    case 'group': return m.surface === 'slack' && /^S[A-Z0-9]+$/.test(m.id) ? `<!subteam^${m.id}>` : undefined;
  }
}

/** The leading line of real pings: built only from the reply's `mentions`, never from its text. */
export function slackMentionLine(reply: Reply): string {
  return [...new Set((reply.mentions ?? []).map(slackMention).filter((m): m is string => m !== undefined))].join(' ');
}

/** Renders a Reply as a Slack message (`text` fallback + `blocks`) that respects every Slack limit. */
export function renderSlack(reply: Reply, opts: RenderOptions = {}): SlackMessage {
  const maxCell = opts.maxCell ?? 60;
  const maxBlocks = Math.max(4, Math.min(L.blocks, opts.maxBlocks ?? L.blocks));
  const id = (name: string) => `${opts.idPrefix ?? 'opsbot'}:${name}`;
  const blocks: SlackBlock[] = [];
  const pings = slackMentionLine(reply);
  if (pings) blocks.push(section(pings));
  blocks.push({ type: 'section', block_id: id('title'), text: { type: 'mrkdwn', text: `${STATUS_EMOJI[reply.status]} *${escapeCut(reply.title || '(untitled)', L.sectionText - 40)}*` } });

  const { elements, dropped } = buttonsOf(reply);
  const contextLines = [...(opts.context ?? []), ...(reply.footer ? [escapeMrkdwn(reply.footer)] : [])].filter((c) => c.trim());
  const context: SlackBlock | undefined = contextLines.length
    ? { type: 'context', block_id: id('context'), elements: contextLines.slice(0, L.contextElements).map((t) => ({ type: 'mrkdwn' as const, text: t.length > L.contextText ? `${t.slice(0, L.contextText - 1)}…` : t })) }
    : undefined;

  // Blocks left for content after the title, the buttons, the context and one "… and N more" notice.
  const budget = maxBlocks - blocks.length - (elements.length ? 1 : 0) - (context ? 1 : 0) - 1;
  const pieces = reply.blocks.flatMap((b, i) => piecesOf(b, i, maxCell));
  const kept = pieces.slice(0, budget);
  const left = pieces.slice(budget);
  blocks.push(...kept.map((p) => p.block));

  const notes: string[] = [];
  if (left.length) {
    const byUnit = new Map<string, number>();
    for (const p of left) if (p.units) byUnit.set(p.unit, (byUnit.get(p.unit) ?? 0) + p.units);
    notes.push(...[...byUnit].map(([unit, n]) => `${n} more ${n === 1 ? unit.replace(/s$/, '') : unit}`));
  }
  if (dropped) notes.push(`${dropped} more ${dropped === 1 ? 'action' : 'actions'} (type the command instead)`);
  if (notes.length) blocks.push({ type: 'context', block_id: id('truncated'), elements: [{ type: 'mrkdwn', text: `… and ${notes.join(', ')}` }] });
  if (elements.length) blocks.push({ type: 'actions', block_id: id('actions'), elements });
  if (context) blocks.push(context);

  // The fallback text is what notifications show: the pings lead it too.
  const summary = escapeCut(replyPlainSummary(reply), L.sectionText);
  return { text: pings ? `${pings} ${summary}` : summary, blocks };
}

/**
 * Renders the platform-neutral `Reply` as a Discord message: one embed (title, status colour,
 * description with text, code and tables, fields), link and command buttons in action rows.
 * Every Discord limit is respected; what does not fit is cut with "… and N more".
 */
import { ButtonStyle, ComponentType, MessageFlags, type APIActionRowComponent, type APIButtonComponent, type APIEmbed, type APIEmbedField } from 'discord.js';
import type { Mention, Reply, ReplyBlock, ReplyButton, Status } from '../../../core/reply.js';
import { DISCORD_LIMITS as L, clip, cut } from './limits.js';
import { fitMessage } from './fit.js';

export interface DiscordMessage {
  content?: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
  flags?: number;
  /**
   * Who may be pinged: exactly the reply's configured mentions (`parse: ['everyone']` only for
   * @here/@everyone, `roles`/`users` only the ids named), nothing else; text never pings.
   */
  allowed_mentions: AllowedMentions;
}

export interface AllowedMentions {
  parse: 'everyone'[];
  roles?: string[];
  users?: string[];
}

/** The leading line of pings and the allowed_mentions that lets exactly those through. */
export function discordMentions(mentions: readonly Mention[] | undefined): { line: string; allowed: AllowedMentions } {
  const words: string[] = [];
  const roles: string[] = [];
  const users: string[] = [];
  let everyone = false;
  for (const m of mentions ?? []) {
    if (m.kind === 'here' || m.kind === 'channel') {
      everyone = true;
      words.push(m.kind === 'here' ? '@here' : '@everyone');
    } else if (m.surface === 'discord' && /^\d{1,20}$/.test(m.id)) {
      if (m.kind === 'group') { roles.push(m.id); words.push(`<@&${m.id}>`); }
      else { users.push(m.id); words.push(`<@${m.id}>`); }
    }
  }
  const uniq = (a: string[]) => [...new Set(a)];
  return {
    line: uniq(words).join(' '),
    allowed: { parse: everyone ? ['everyone'] : [], ...(roles.length ? { roles: uniq(roles) } : {}), ...(users.length ? { users: uniq(users) } : {}) },
  };
}

export const STATUS_COLOUR: Record<Status, number> = {
  ok: 0x2ecc71, warn: 0xf1c40f, fail: 0xe74c3c, error: 0xc0392b, denied: 0x9b59b6, info: 0x3498db,
};
export const STATUS_EMOJI: Record<Status, string> = {
  ok: '✅', warn: '⚠️', fail: '❌', error: '🛑', denied: '⛔', info: 'ℹ️',
};

export interface RenderOptions {
  /** custom_id for a command button (index makes ids unique in a message); undefined drops it. */
  customId: (command: string, index: number) => string | undefined;
  /** Only the asker sees the message (interaction responses). */
  ephemeral?: boolean;
  content?: string;
  /** Longest table cell before it is cut with "…". */
  maxCell?: number;
}

const ZWSP = '\u200b';
const FENCE = '```';

function noFence(s: string): string {
  return s.replace(/```/g, "'''");
}

function flat(s: string, max: number): string {
  const one = noFence(s).replace(/\s*\n\s*/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A table as a monospace code block, as many rows as fit in `room`, then "… and N more rows". */
export function tableText(b: Extract<ReplyBlock, { type: 'table' }>, room: number, maxCell = 40): string {
  const head = b.title ? `**${clip(flat(b.title, 200), 200)}**\n` : '';
  if (b.rows.length === 0) {
    const none = `${head}(none)`;
    return none.length <= room ? none : '';
  }
  const cols = b.columns.map((c) => flat(c, maxCell));
  const cells = b.rows.map((r) => cols.map((_, i) => flat(r[i] ?? '', maxCell)));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  const lines = [line(cols), line(widths.map((w) => '-'.repeat(w)))];
  const fixed = head.length + FENCE.length * 2 + 2;
  const more = (n: number) => `\n… and ${n} more row${n === 1 ? '' : 's'}`;
  let used = fixed + lines.join('\n').length;
  let shown = 0;
  for (const r of cells) {
    const l = line(r);
    const left = cells.length - shown - 1;
    const reserve = left > 0 ? more(left).length : 0;
    if (used + 1 + l.length + reserve > room) break;
    lines.push(l);
    used += 1 + l.length;
    shown++;
  }
  const omitted = cells.length - shown;
  const text = `${head}${FENCE}\n${lines.join('\n')}\n${FENCE}${omitted ? more(omitted) : ''}`;
  if (text.length <= room) return text;
  // Not even the header fits: say only how much there was.
  const summary = `${head}${b.rows.length} row${b.rows.length === 1 ? '' : 's'} not shown`;
  return summary.length <= room ? summary : '';
}

function codeText(b: Extract<ReplyBlock, { type: 'code' }>, room: number): string {
  const head = b.title ? `**${clip(flat(b.title, 200), 200)}**\n` : '';
  const fixed = head.length + FENCE.length * 2 + 2;
  if (fixed + 20 > room) return '';
  const text = noFence(b.text);
  return `${head}${FENCE}\n${b.keep === 'end' ? lastLines(text, room - fixed) : cut(text, room - fixed)}\n${FENCE}`;
}

/** The last whole lines of `text` that fit in `max`, after a line that counts the ones left out. */
function lastLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    const note = `… ${i + 1} earlier line${i === 0 ? '' : 's'} not shown`;
    if (used + line.length + 1 + note.length > max) {
      const left = lines.length - kept.length;
      const head = `… ${left} earlier line${left === 1 ? '' : 's'} not shown`;
      return kept.length ? [head, ...kept.reverse()].join('\n') : cut(text.slice(-max), max);
    }
    kept.push(line);
    used += line.length + 1;
  }
  return kept.reverse().join('\n');
}

function linksText(b: Extract<ReplyBlock, { type: 'links' }>, room: number): string {
  const out: string[] = [];
  let used = 0;
  for (const [i, l] of b.links.entries()) {
    const label = clip(l.label.replace(/[[\]]/g, ''), 100) || l.url;
    const line = /^https?:\/\//.test(l.url) ? `[${label}](${l.url})` : `${label}: ${l.url}`;
    const left = b.links.length - i - 1;
    const reserve = left ? `\n… and ${left} more links`.length : 0;
    if (used + line.length + 1 + reserve > room) {
      out.push(`… and ${b.links.length - i} more link${b.links.length - i === 1 ? '' : 's'}`);
      break;
    }
    out.push(line);
    used += line.length + 1;
  }
  const text = out.join('\n');
  return text.length <= room ? text : '';
}

function blockText(b: ReplyBlock, room: number, maxCell: number): string {
  switch (b.type) {
    case 'text': return room > 0 ? cut(b.text, room) : '';
    case 'code': return codeText(b, room);
    case 'table': return tableText(b, room, maxCell);
    case 'links': return linksText(b, room);
    case 'fields': return '';
  }
}

function embedFields(blocks: ReplyBlock[], budget: number): APIEmbedField[] {
  const all = blocks.flatMap((b) => (b.type === 'fields' ? b.fields : []));
  const out: APIEmbedField[] = [];
  let used = 0;
  for (const [i, f] of all.entries()) {
    const name = clip(f.label.trim() || ZWSP, L.fieldName);
    const value = cut(f.value.trim() || ZWSP, L.fieldValue);
    const left = all.length - i;
    const moreField = { name: ZWSP, value: `… and ${left} more field${left === 1 ? '' : 's'}`, inline: false };
    const lastSlot = out.length === L.fields - 1 && left > 1;
    if (lastSlot || used + name.length + value.length + moreField.value.length + 1 > budget) {
      if (used + moreField.value.length + 1 <= budget) out.push(moreField);
      break;
    }
    out.push({ name, value, inline: value.length <= 40 && !value.includes('\n') });
    used += name.length + value.length;
  }
  return out;
}

function buttonRows(buttons: ReplyButton[], customId: RenderOptions['customId']): { rows: DiscordMessage['components']; dropped: number } {
  const made: APIButtonComponent[] = [];
  let dropped = 0;
  buttons.forEach((b, index) => {
    const label = clip(b.label.trim() || b.command || 'Open', L.buttonLabel);
    if (made.length >= L.rows * L.buttonsPerRow) {
      dropped++;
    } else if (b.url) {
      if (/^https?:\/\//.test(b.url) && b.url.length <= L.buttonUrl) made.push({ type: ComponentType.Button, style: ButtonStyle.Link, label, url: b.url });
      else dropped++;
    } else if (b.command) {
      const id = customId(b.command, index);
      if (id && id.length <= L.customId) {
        const style = b.style === 'danger' ? ButtonStyle.Danger : b.style === 'primary' ? ButtonStyle.Primary : ButtonStyle.Secondary;
        made.push({ type: ComponentType.Button, style, label, custom_id: id });
      } else dropped++;
    } else dropped++;
  });
  const rows: DiscordMessage['components'] = [];
  for (let i = 0; i < made.length; i += L.buttonsPerRow) {
    rows.push({ type: ComponentType.ActionRow, components: made.slice(i, i + L.buttonsPerRow) });
  }
  return { rows, dropped };
}

/** The one embed of a reply, within `budget` characters (Discord counts all embeds together). */
export function replyEmbed(reply: Reply, budget: number = L.embedsTotal, maxCell = 40): APIEmbed {
  const title = clip(`${STATUS_EMOJI[reply.status]} ${reply.title}`.trim(), L.title);
  const footer = reply.footer ? clip(reply.footer, Math.min(L.footer, 200)) : undefined;
  let left = budget - title.length - (footer?.length ?? 0);
  const hasFields = reply.blocks.some((b) => b.type === 'fields');
  // Fields may use what the description does not need; with text blocks they get at most half.
  const hasText = reply.blocks.some((b) => b.type !== 'fields');
  const fields = hasFields ? embedFields(reply.blocks, Math.max(0, hasText ? Math.floor(left / 2) : left)) : [];
  left -= fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const room = Math.max(0, Math.min(L.description, left));
  const parts: string[] = [];
  let used = 0;
  let skipped = 0;
  for (const b of reply.blocks) {
    if (b.type === 'fields') continue;
    const sep = parts.length ? 2 : 0;
    const reserve = 40;
    const text = blockText(b, room - used - sep - reserve, maxCell);
    if (!text) { skipped++; continue; }
    parts.push(text);
    used += sep + text.length;
  }
  if (skipped) parts.push(`… and ${skipped} more block${skipped === 1 ? '' : 's'}`);
  const description = parts.join('\n\n');
  const embed: APIEmbed = { title, color: STATUS_COLOUR[reply.status] };
  if (description) embed.description = description.length <= room ? description : cut(description, room);
  if (fields.length) embed.fields = fields;
  if (footer) embed.footer = { text: footer };
  return embed;
}

export function renderDiscord(reply: Reply, opts: RenderOptions): DiscordMessage {
  const { rows, dropped } = buttonRows(reply.buttons ?? [], opts.customId);
  // Only the content pings (an embed never does); the pings lead it.
  const { line, allowed } = discordMentions(reply.mentions);
  const notes = [line, opts.content, dropped ? `… and ${dropped} more action${dropped === 1 ? '' : 's'} (type them as commands)` : undefined].filter(Boolean);
  const msg: DiscordMessage = {
    embeds: [replyEmbed(reply, L.embedsTotal, opts.maxCell)],
    components: rows,
    allowed_mentions: allowed,
  };
  if (notes.length) msg.content = notes.join('\n');
  if (opts.ephemeral) msg.flags = MessageFlags.Ephemeral;
  return fitMessage(msg);
}

/**
 * The message after a button press: who pressed what and how it went, the message's own embeds
 * kept above the outcome, and the outcome's buttons. When the command did not succeed the
 * message keeps its own buttons, so the press can be tried again.
 */
export function renderButtonOutcome(
  result: Reply,
  press: { userId: string; command: string; previousEmbeds: APIEmbed[]; succeeded?: boolean; previousComponents?: DiscordMessage['components'] },
  opts: RenderOptions,
): DiscordMessage {
  const by = `${STATUS_EMOJI[result.status]} \`${flat(press.command, 200).replace(/`/g, "'")}\` by <@${press.userId}>`;
  const msg = renderDiscord(result, { ...opts, content: by });
  const outcome = msg.embeds[0] as APIEmbed;
  const kept = press.previousEmbeds.slice(0, L.embeds - 1);
  const components = press.succeeded === false && !result.buttons?.length ? press.previousComponents ?? [] : msg.components;
  return fitMessage({ ...msg, embeds: [...kept, outcome], components }, { shrinkFirst: kept.length });
}

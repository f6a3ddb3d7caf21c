/**
 * A Discord message (as the bot sends it, test/golden/discord-*.json) as HTML that looks like the
 * Discord client: content, embeds with their colour bar, title, description, inline and full-width
 * fields and footer, and button rows with Discord's button styles.
 */
import { escapeHtml } from './escape.js';

interface EmbedField { name: string; value: string; inline?: boolean }
interface Embed { title?: string; description?: string; color?: number; url?: string; fields?: EmbedField[]; footer?: { text: string }; timestamp?: string }
interface Component { type: number; style?: number; label?: string; url?: string; disabled?: boolean; components?: Component[] }
export interface DiscordMessage { content?: string; embeds?: Embed[]; components?: Component[] }

/** Discord markdown to HTML: code blocks, inline code, bold, italics, underline, links, mentions. */
export function discordMarkdown(text: string): string {
  return text.split(/\n?```(?:[a-z]*\n)?([\s\S]*?)\n?```\n?/).map((part, i) => (i % 2 === 1 ? `<pre>${escapeHtml(part)}</pre>` : inline(part))).join('');
}

function inline(text: string): string {
  return text.split(/(`[^`\n]+`)/).map((part, i) => {
    if (i % 2 === 1) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
    return escapeHtml(part)
      .replace(/\[([^\]\n]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2">$1</a>')
      .replace(/&lt;@[!&]?(\d+)&gt;/g, '<span class="mention">@user</span>')
      .replace(/\*\*([^*\n]+)\*\*/g, '<b>$1</b>')
      .replace(/__([^_\n]+)__/g, '<u>$1</u>')
      .replace(/(^|[\s(])[*_]([^*_\n]+)[*_](?=$|[\s).,:;!?])/g, '$1<i>$2</i>')
      .replace(/~~([^~\n]+)~~/g, '<s>$1</s>');
  }).join('').replace(/\n/g, '<br>');
}

/** Consecutive inline fields share a row, up to three; a field that is not inline takes a row. */
function fieldRows(fields: readonly EmbedField[]): EmbedField[][] {
  const rows: EmbedField[][] = [];
  for (const f of fields) {
    const last = rows[rows.length - 1];
    if (f.inline && last && last.length < 3 && last.every((x) => x.inline)) last.push(f);
    else rows.push([f]);
  }
  return rows;
}

function embed(e: Embed): string {
  const colour = `#${(e.color ?? 0x1e1f22).toString(16).padStart(6, '0')}`;
  const parts: string[] = [];
  if (e.title) parts.push(`<div class="title">${e.url ? `<a href="${escapeHtml(e.url)}">${discordMarkdown(e.title)}</a>` : discordMarkdown(e.title)}</div>`);
  if (e.description) parts.push(`<div class="description">${discordMarkdown(e.description)}</div>`);
  if (e.fields?.length) {
    parts.push(`<div class="fields">${fieldRows(e.fields).map((row) => `<div class="row">${row.map((f) => `<div class="field"><div class="name">${discordMarkdown(f.name)}</div><div class="value">${discordMarkdown(f.value)}</div></div>`).join('')}</div>`).join('')}</div>`);
  }
  if (e.footer || e.timestamp) parts.push(`<div class="footer">${escapeHtml([e.footer?.text, e.timestamp].filter(Boolean).join(' • '))}</div>`);
  return `<div class="embed" style="border-left-color: ${colour}">${parts.join('')}</div>`;
}

const BUTTON_STYLE: Record<number, string> = { 1: 'primary', 2: 'secondary', 3: 'success', 4: 'danger', 5: 'link' };

function component(c: Component): string {
  if (c.type === 1) return `<div class="actions">${(c.components ?? []).map(component).join('')}</div>`;
  if (c.type === 2) {
    const style = BUTTON_STYLE[c.style ?? 2] ?? 'secondary';
    return `<span class="button ${style}${c.disabled ? ' disabled' : ''}">${escapeHtml(c.label ?? '')}${style === 'link' ? ' ↗' : ''}</span>`;
  }
  throw new Error(`Discord component type ${c.type} has no HTML rendering (scripts/render-examples/discord-html.ts)`);
}

export function discordMessageHtml(msg: DiscordMessage): string {
  const content = msg.content ? `<div class="content">${discordMarkdown(msg.content)}</div>` : '';
  return `${content}${(msg.embeds ?? []).map(embed).join('\n')}\n${(msg.components ?? []).map(component).join('\n')}`;
}

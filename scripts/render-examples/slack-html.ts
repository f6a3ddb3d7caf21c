/**
 * Block Kit (as the bot sends it, test/golden/slack-*.json) as HTML that looks like the Slack
 * client: sections with text and two-column fields, context lines, dividers, headers and buttons.
 * A block type this does not know is an error, so a new renderer feature cannot be dropped silently.
 */
import { emoji, escapeHtml } from './escape.js';

interface TextObject { type: 'mrkdwn' | 'plain_text'; text: string }
interface Button { type: 'button'; text: TextObject; style?: 'primary' | 'danger'; url?: string }
interface Block {
  type: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: (TextObject | Button)[];
}
export interface SlackMessage { text?: string; blocks?: Block[] }

/** Slack mrkdwn (already entity-escaped by the renderer: &amp; &lt; &gt;) to HTML. */
export function slackMrkdwn(text: string): string {
  return text.split(/\n?```\n?([\s\S]*?)\n?```\n?/).map((part, i) => (i % 2 === 1 ? `<pre>${entitySafe(part)}</pre>` : inline(part))).join('');
}

/** Keeps Slack's own entities, escapes everything else that HTML would read. */
function entitySafe(text: string): string {
  return text.replace(/&(?!(amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inline(text: string): string {
  return text.split(/(`[^`\n]+`)/).map((part, i) => {
    if (i % 2 === 1) return `<code>${entitySafe(part.slice(1, -1))}</code>`;
    return part.split(/(<[^<>\n]+>)/).map((piece, j) => (j % 2 === 1 ? angle(piece.slice(1, -1)) : styled(entitySafe(piece)))).join('');
  }).join('').replace(/\n/g, '<br>');
}

function angle(inner: string): string {
  const [target = '', label] = inner.split('|', 2);
  if (target.startsWith('@')) return `<span class="mention">@${escapeHtml(label ?? target.slice(1))}</span>`;
  if (target.startsWith('#')) return `<span class="mention">#${escapeHtml(label ?? target.slice(1))}</span>`;
  if (target.startsWith('!')) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  return `<a href="${entitySafe(target)}">${entitySafe(label ?? target)}</a>`;
}

function styled(text: string): string {
  return text
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, '$1<s>$2</s>')
    .replace(/:([a-z0-9_+-]+):/g, (all, code: string) => emoji(code) ?? all);
}

function textObject(t: TextObject): string {
  return t.type === 'mrkdwn' ? slackMrkdwn(t.text) : escapeHtml(t.text).replace(/\n/g, '<br>');
}

function button(b: Button): string {
  const cls = b.style ? ` ${b.style}` : '';
  return `<span class="button${cls}">${escapeHtml(b.text.text)}${b.url ? ' ↗' : ''}</span>`;
}

function block(b: Block): string {
  switch (b.type) {
    case 'section': {
      const text = b.text ? `<div class="text">${textObject(b.text)}</div>` : '';
      const fields = b.fields?.length ? `<div class="fields">${b.fields.map((f) => `<div class="field">${textObject(f)}</div>`).join('')}</div>` : '';
      return `<div class="section">${text}${fields}</div>`;
    }
    case 'header':
      return `<div class="header">${b.text ? escapeHtml(b.text.text) : ''}</div>`;
    case 'divider':
      return '<hr class="divider">';
    case 'context':
      return `<div class="context">${(b.elements ?? []).map((e) => `<span>${textObject(e as TextObject)}</span>`).join('')}</div>`;
    case 'actions':
      return `<div class="actions">${(b.elements ?? []).map((e) => button(e as Button)).join('')}</div>`;
    default:
      throw new Error(`Slack block type '${b.type}' has no HTML rendering (scripts/render-examples/slack-html.ts)`);
  }
}

/** The message body: the blocks, or the fallback text when there are none. */
export function slackMessageHtml(msg: SlackMessage): string {
  if (!msg.blocks?.length) return `<div class="section"><div class="text">${slackMrkdwn(msg.text ?? '')}</div></div>`;
  return msg.blocks.map(block).join('\n');
}

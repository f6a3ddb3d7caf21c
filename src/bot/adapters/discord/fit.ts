/**
 * The last line of defence before a message leaves: `fitMessage` brings any payload within
 * Discord's limits (cutting with "… and N more"), and `discordMessageProblems` lists every limit
 * a payload breaks (used by the tests and logged should a renderer ever get it wrong).
 */
import type { APIEmbed } from 'discord.js';
import { DISCORD_LIMITS as L, clip, cut } from './limits.js';
import type { DiscordMessage } from './render.js';

export function embedLength(e: APIEmbed): number {
  return (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0)
    + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
}

function clampEmbed(e: APIEmbed): APIEmbed {
  const out: APIEmbed = { ...e };
  if (out.title !== undefined) out.title = clip(out.title, L.title);
  if (out.description !== undefined) out.description = cut(out.description, L.description);
  if (out.footer) out.footer = { ...out.footer, text: clip(out.footer.text, L.footer) };
  if (out.author) out.author = { ...out.author, name: clip(out.author.name, L.author) };
  if (out.fields) {
    let fields = out.fields.map((f) => ({ ...f, name: clip(f.name || '\u200b', L.fieldName), value: cut(f.value || '\u200b', L.fieldValue) }));
    if (fields.length > L.fields) {
      const more = fields.length - (L.fields - 1);
      fields = [...fields.slice(0, L.fields - 1), { name: '\u200b', value: `… and ${more} more fields`, inline: false }];
    }
    out.fields = fields;
  }
  return out;
}

/** Takes `excess` characters out of one embed: description first, then fields from the end. */
function shrink(e: APIEmbed, excess: number): APIEmbed {
  const out: APIEmbed = { ...e, ...(e.fields ? { fields: [...e.fields] } : {}) };
  let need = excess;
  if (out.description && need > 0) {
    const keep = Math.max(0, out.description.length - need);
    const before = out.description.length;
    out.description = keep >= 40 ? cut(out.description, keep) : '';
    need -= before - out.description.length;
    if (!out.description) delete out.description;
  }
  while (need > 0 && out.fields?.length) {
    const f = out.fields.pop() as { name: string; value: string };
    need -= f.name.length + f.value.length;
  }
  if (need > 0 && out.footer) {
    need -= out.footer.text.length;
    delete out.footer;
  }
  if (out.fields?.length === 0) delete out.fields;
  return out;
}

export function fitMessage(msg: DiscordMessage, opts: { shrinkFirst?: number } = {}): DiscordMessage {
  const out: DiscordMessage = { ...msg };
  if (out.content !== undefined) out.content = cut(out.content, L.content);
  let embeds = msg.embeds.slice(-L.embeds).map(clampEmbed);
  let preferred = Math.min(opts.shrinkFirst ?? 0, embeds.length);
  for (let guard = 0; guard < 50; guard++) {
    const total = embeds.reduce((n, e) => n + embedLength(e), 0);
    if (total <= L.embedsTotal) break;
    const excess = total - L.embedsTotal;
    // Shrink the kept (earlier) embeds first, then the largest one; drop an embed shrunk to nothing.
    let idx = -1;
    for (let i = 0; i < preferred; i++) if (embedLength(embeds[i] as APIEmbed) > 0 && (idx === -1 || embedLength(embeds[i] as APIEmbed) > embedLength(embeds[idx] as APIEmbed))) idx = i;
    if (idx === -1) idx = embeds.reduce((best, e, i) => (embedLength(e) > embedLength(embeds[best] as APIEmbed) ? i : best), 0);
    const shrunk = shrink(embeds[idx] as APIEmbed, excess);
    if (embedLength(shrunk) >= embedLength(embeds[idx] as APIEmbed) || (embedLength(shrunk) <= (shrunk.title?.length ?? 0) && embeds.length > 1 && idx < preferred)) {
      embeds = embeds.filter((_, i) => i !== idx);
      if (idx < preferred) preferred--;
    } else {
      embeds[idx] = shrunk;
    }
  }
  out.embeds = embeds;
  const rows = msg.components.slice(0, L.rows).map((r) => ({
    ...r,
    components: r.components.slice(0, L.buttonsPerRow)
      .filter((b) => !('custom_id' in b) || (b.custom_id.length >= 1 && b.custom_id.length <= L.customId))
      .map((b) => ('label' in b && b.label ? { ...b, label: clip(b.label, L.buttonLabel) } : b)),
  })).filter((r) => r.components.length > 0);
  out.components = rows;
  return out;
}

/** Every Discord limit this message breaks; empty when Discord would accept it. */
export function discordMessageProblems(msg: DiscordMessage): string[] {
  const p: string[] = [];
  if ((msg.content?.length ?? 0) > L.content) p.push(`content ${msg.content?.length} > ${L.content}`);
  if (!msg.content && msg.embeds.length === 0 && msg.components.length === 0) p.push('empty message');
  if (msg.embeds.length > L.embeds) p.push(`${msg.embeds.length} embeds > ${L.embeds}`);
  const total = msg.embeds.reduce((n, e) => n + embedLength(e), 0);
  if (total > L.embedsTotal) p.push(`embeds total ${total} > ${L.embedsTotal}`);
  msg.embeds.forEach((e, i) => {
    if ((e.title?.length ?? 0) > L.title) p.push(`embed ${i} title ${e.title?.length}`);
    if ((e.description?.length ?? 0) > L.description) p.push(`embed ${i} description ${e.description?.length}`);
    if ((e.footer?.text.length ?? 0) > L.footer) p.push(`embed ${i} footer`);
    if ((e.fields?.length ?? 0) > L.fields) p.push(`embed ${i} has ${e.fields?.length} fields`);
    for (const f of e.fields ?? []) {
      if (!f.name || f.name.length > L.fieldName) p.push(`embed ${i} field name length ${f.name.length}`);
      if (!f.value || f.value.length > L.fieldValue) p.push(`embed ${i} field value length ${f.value.length}`);
    }
  });
  if (msg.components.length > L.rows) p.push(`${msg.components.length} rows > ${L.rows}`);
  const ids = new Set<string>();
  for (const r of msg.components) {
    if (r.components.length === 0 || r.components.length > L.buttonsPerRow) p.push(`row with ${r.components.length} buttons`);
    for (const b of r.components) {
      if ('label' in b && b.label !== undefined && (b.label.length === 0 || b.label.length > L.buttonLabel)) p.push(`button label length ${b.label.length}`);
      if ('custom_id' in b) {
        if (b.custom_id.length < 1 || b.custom_id.length > L.customId) p.push(`custom_id length ${b.custom_id.length}`);
        if (ids.has(b.custom_id)) p.push(`duplicate custom_id ${b.custom_id}`);
        ids.add(b.custom_id);
      }
      if ('url' in b && b.url.length > L.buttonUrl) p.push('button url too long');
    }
  }
  return p;
}

/**
 * Independent checks of Discord's documented limits for tests: command definitions (by hand
 * and rebuilt through discord.js's own validating builders) and message payloads.
 */
import { ButtonBuilder, EmbedBuilder, SlashCommandBuilder, embedLength, type APIEmbed, type SlashCommandSubcommandBuilder } from 'discord.js';

type Opt = { type: number; name: string; description: string; required?: boolean; autocomplete?: boolean; choices?: { name: string; value: string | number }[]; options?: Opt[] };

const NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function size(o: Opt): number {
  return o.name.length + o.description.length + (o.choices ?? []).reduce((n, c) => n + c.name.length + String(c.value).length, 0) + (o.options ?? []).reduce((n, x) => n + size(x), 0);
}

/** Every rule a chat-input command breaks (empty when Discord accepts it). */
export function commandProblems(cmd: Opt): string[] {
  const p: string[] = [];
  const walk = (o: Opt, where: string, depth: number) => {
    if (!NAME.test(o.name) || o.name !== o.name.toLowerCase()) p.push(`${where}: bad name "${o.name}"`);
    if (o.description.length < 1 || o.description.length > 100) p.push(`${where}: description length ${o.description.length}`);
    if ((o.options?.length ?? 0) > 25) p.push(`${where}: ${o.options?.length} options`);
    if ((o.choices?.length ?? 0) > 25) p.push(`${where}: ${o.choices?.length} choices`);
    if (o.choices && o.autocomplete) p.push(`${where}: choices and autocomplete`);
    for (const c of o.choices ?? []) if (c.name.length < 1 || c.name.length > 100 || String(c.value).length > 100) p.push(`${where}: choice ${c.name}`);
    const names = (o.options ?? []).map((x) => x.name);
    if (new Set(names).size !== names.length) p.push(`${where}: duplicate option names`);
    const basic = (o.options ?? []).filter((x) => x.type !== 1 && x.type !== 2);
    const firstOptional = basic.findIndex((x) => !x.required);
    if (firstOptional !== -1 && basic.slice(firstOptional).some((x) => x.required)) p.push(`${where}: required option after optional`);
    if (depth >= 2 && (o.options ?? []).some((x) => x.type === 1 || x.type === 2)) p.push(`${where}: nested too deep`);
    for (const x of o.options ?? []) walk(x, `${where} ${x.name}`, x.type === 2 || x.type === 1 ? depth + 1 : depth);
  };
  walk(cmd, `/${cmd.name}`, 0);
  const total = size(cmd);
  if (total > 4000) p.push(`combined size ${total} > 4000`);
  return p;
}

function addOption(sc: SlashCommandSubcommandBuilder, o: Opt): void {
  if (o.type === 3) {
    sc.addStringOption((x) => {
      x.setName(o.name).setDescription(o.description).setRequired(Boolean(o.required));
      if (o.choices) x.addChoices(...(o.choices as { name: string; value: string }[]));
      if (o.autocomplete) x.setAutocomplete(true);
      return x;
    });
  } else if (o.type === 10) {
    sc.addNumberOption((x) => {
      x.setName(o.name).setDescription(o.description).setRequired(Boolean(o.required));
      if (o.choices) x.addChoices(...(o.choices as { name: string; value: number }[]));
      return x;
    });
  } else if (o.type === 5) {
    sc.addBooleanOption((x) => x.setName(o.name).setDescription(o.description).setRequired(Boolean(o.required)));
  } else throw new Error(`unexpected option type ${o.type}`);
}

function subcommand(sc: SlashCommandSubcommandBuilder, s: Opt): SlashCommandSubcommandBuilder {
  sc.setName(s.name).setDescription(s.description);
  for (const o of s.options ?? []) addOption(sc, o);
  return sc;
}

/** Rebuilds the command through discord.js's builders, whose setters throw on any broken limit. */
export function rebuildWithDiscordJs(cmd: Opt): unknown {
  const b = new SlashCommandBuilder().setName(cmd.name).setDescription(cmd.description);
  for (const o of cmd.options ?? []) {
    if (o.type === 2) {
      b.addSubcommandGroup((g) => {
        g.setName(o.name).setDescription(o.description);
        for (const s of o.options ?? []) g.addSubcommand((sc) => subcommand(sc, s));
        return g;
      });
    } else b.addSubcommand((sc) => subcommand(sc, o));
  }
  return b.toJSON();
}

/** Rebuilds embeds and buttons through discord.js's validating builders; throws on a broken limit. */
export function checkWithDiscordJs(msg: { embeds: APIEmbed[]; components: { components: Record<string, unknown>[] }[] }): number {
  for (const e of msg.embeds) {
    const b = new EmbedBuilder();
    if (e.title) b.setTitle(e.title);
    if (e.description) b.setDescription(e.description);
    if (e.fields) b.setFields(...e.fields);
    if (e.footer) b.setFooter({ text: e.footer.text });
    if (e.color !== undefined) b.setColor(e.color);
  }
  for (const r of msg.components) for (const c of r.components) new ButtonBuilder(c as never).toJSON();
  return msg.embeds.reduce((n, e) => n + embedLength(e), 0);
}

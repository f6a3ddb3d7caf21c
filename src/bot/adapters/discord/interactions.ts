/**
 * What happens when someone uses `/ops` or presses a button: the interaction becomes a command
 * line for the router, run as the member (`discord:user:<id>`, roles as `discord:role:<id>`).
 * The first response goes out before Discord's 3-second deadline; slower work is deferred and
 * the original response edited when it is done.
 */
import type { APIEmbed, AutocompleteInteraction, ButtonInteraction, ChatInputCommandInteraction, GuildMember, APIInteractionGuildMember, InteractionReplyOptions, InteractionUpdateOptions } from 'discord.js';
import { DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { Logger } from 'pino';
import type { ParamSpec, Subject } from '../../../core/command.js';
import type { RetryPolicy } from '../../../core/delivery.js';
import type { Reply } from '../../../core/reply.js';
import { newInvocationId } from '../../../core/ids.js';
import type { Router } from '../../router.js';
import type { RouterResult } from '../../../core/invocation.js';
import { DISCORD_LIMITS as L, clip } from './limits.js';
import { focusedParam, lineFromOptions, OptionsError, type InteractionOption, type OpsCommandPlan } from './commands.js';
import { renderButtonOutcome, renderDiscord, type DiscordMessage } from './render.js';
import { discordMessageProblems } from './fit.js';
import type { ButtonCommands } from './buttons.js';
import { deliverDiscord } from './rest.js';

export type CompleteKind = NonNullable<ParamSpec['complete']>;

export interface InteractionDeps {
  router: Router;
  plan: () => OpsCommandPlan;
  buttons: ButtonCommands;
  completions: (kind: CompleteKind) => readonly string[] | Promise<readonly string[]>;
  log: Logger;
  /** Answer directly when the router is done by then, otherwise defer (Discord allows 3 s). */
  ackDeadlineMs: number;
  retry?: RetryPolicy;
  /**
   * Posts a reply in a channel as an ordinary message: where a deferred response's result goes
   * when its interaction token is gone (it lasts 15 minutes; a longer command outlives it).
   */
  postToChannel?: (channelId: string, reply: Reply) => Promise<unknown>;
}

/** The interaction token no longer works: Invalid Webhook Token (after 15 minutes), Unknown Webhook. */
const TOKEN_GONE = new Set<number>([50027, 10015]);

const ALREADY_ACKNOWLEDGED = RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged;

type Member = GuildMember | APIInteractionGuildMember | null;

export function memberRoles(member: Member, guildId: string | null): string[] {
  if (!member) return [];
  if (Array.isArray(member.roles)) return [...member.roles];
  // A cached member's role list (`_roles`) holds every role id, also roles not in the cache.
  const raw = (member as unknown as { _roles?: string[] })._roles ?? [];
  return [...new Set([...raw, ...(member as GuildMember).roles.cache.keys()])].filter((r) => r !== guildId);
}

export function subjectOf(i: { user: { id: string; username: string }; member: Member; guildId: string | null }): Subject {
  return {
    id: `discord:user:${i.user.id}`,
    groups: memberRoles(i.member, i.guildId).map((r) => `discord:role:${r}`),
    display: `@${i.user.username}`,
  };
}

/** discord.js reply options from a rendered message. */
function asOptions(m: DiscordMessage): InteractionReplyOptions & InteractionUpdateOptions {
  return {
    ...(m.content !== undefined ? { content: m.content } : {}),
    embeds: m.embeds,
    components: m.components,
    allowedMentions: m.allowed_mentions,
    ...(m.flags ? { flags: m.flags } : {}),
  } as InteractionReplyOptions & InteractionUpdateOptions;
}

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(timer));
}

/** Whether the pressed custom_id is one of the buttons of the message the interaction came with. */
function pressedOnMessage(i: ButtonInteraction): boolean {
  try {
    return Boolean(i.message) && i.component !== null && i.component !== undefined; // discord.js finds it by custom_id among the message's components
  } catch {
    return false; // no message (or none discord.js could read) in the interaction
  }
}

export class InteractionHandler {
  constructor(private readonly deps: InteractionDeps) {}

  /**
   * An interaction response through the retry policy. When a retry is told the interaction was
   * already acknowledged (40060), the earlier try did get through (only its answer was lost).
   */
  private deliver<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    let attempt = 0;
    return deliverDiscord(what, async () => {
      attempt++;
      try {
        return await call();
      } catch (e) {
        if (attempt > 1 && e instanceof DiscordAPIError && e.code === ALREADY_ACKNOWLEDGED) return undefined;
        throw e;
      }
    }, { log: this.deps.log, ...(this.deps.retry ? { policy: this.deps.retry } : {}) });
  }

  private async render(reply: Reply, extra: { ephemeral?: boolean; content?: string } = {}): Promise<DiscordMessage> {
    const customId = await this.deps.buttons.prepare(reply);
    const msg = renderDiscord(reply, { customId, ...extra });
    this.check(msg);
    return msg;
  }

  private check(msg: DiscordMessage): void {
    const problems = discordMessageProblems(msg);
    if (problems.length) this.deps.log.error({ problems }, 'rendered Discord message breaks a limit');
  }

  async slashCommand(i: ChatInputCommandInteraction): Promise<void> {
    let line: string;
    try {
      line = lineFromOptions(this.deps.plan(), i.options.data as readonly InteractionOption[]);
    } catch (e) {
      if (!(e instanceof OptionsError)) throw e;
      const refused = await this.deps.router.rejected({ surface: 'discord', subject: subjectOf(i), what: 'options', code: 'invalid', title: 'Cannot run that', message: e.message, channel: i.channelId });
      await this.answerPresserOnly(i, refused.reply);
      return;
    }
    // Progress edits the deferred response (its token lasts 15 minutes); before the defer the latest step is kept.
    let deferred = false;
    let step: string | undefined;
    const shown = (text: string) => this.deliver('interaction progress edit', () => i.editReply({ content: `⏳ ${text.slice(0, 1900)}`, allowedMentions: { parse: [] } }));
    const progress = async (text: string) => {
      if (!deferred) { step = text; return; }
      await shown(text);
    };
    const pending = this.deps.router.handle({ subject: subjectOf(i), surface: 'discord', line, channel: i.channelId, id: newInvocationId(), progress });
    const quick = await within(pending, this.deps.ackDeadlineMs);
    if (quick) {
      const ephemeral = quick.reply.visibility === 'ephemeral';
      const msg = await this.render(quick.reply, { ephemeral });
      await this.deliver('interaction reply', () => i.reply(asOptions(msg)));
      return;
    }
    // Slow: tell Discord we are on it (it shows "thinking…"), then edit that response.
    await this.deliver('interaction defer', () => i.deferReply());
    deferred = true;
    if (step) await shown(step);
    const result = await pending;
    await this.finishDeferred(i, result);
  }

  private async finishDeferred(i: ChatInputCommandInteraction | ButtonInteraction, result: RouterResult, update?: (r: Reply) => Promise<DiscordMessage>): Promise<void> {
    if (result.reply.visibility === 'ephemeral') {
      // A deferred response is public; what only the asker may see goes in an ephemeral follow-up.
      const msg = await this.render(result.reply, { ephemeral: true });
      let tokenGone = false;
      const unlessGone = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
        if (tokenGone) return undefined;
        try {
          return await call();
        } catch (e) {
          if (!(e instanceof DiscordAPIError && TOKEN_GONE.has(Number(e.code)))) throw e;
          tokenGone = true;
          return undefined;
        }
      };
      if (!update) await this.deliver('interaction delete deferred', () => unlessGone(() => i.deleteReply()));
      await this.deliver('interaction follow-up', () => unlessGone(() => i.followUp(asOptions(msg))));
      // What only the asker may see is not posted for everyone: the channel hears that it ended, and where to look.
      if (tokenGone) {
        await this.postInstead(i, { ...result, reply: { title: `${result.reply.title} (shown only to the asker)`, status: result.reply.status, blocks: [{ type: 'text', text: `The reply is for the asker only and could not be shown to them. \`audit\` has it under ref ${result.invocationId}.` }] } });
      }
      return;
    }
    const msg = update ? await update(result.reply) : await this.render(result.reply);
    // The result replaces any progress line the response showed.
    let tokenGone = false;
    await this.deliver('interaction edit original', async () => {
      try {
        return await i.editReply({ content: '', ...asOptions(msg) });
      } catch (e) {
        if (!(e instanceof DiscordAPIError && TOKEN_GONE.has(Number(e.code)))) throw e;
        tokenGone = true;
        return undefined;
      }
    });
    if (tokenGone) await this.postInstead(i, result);
  }

  /** The deferred response cannot be edited any more: the result is posted in the channel, naming who asked. */
  private async postInstead(i: ChatInputCommandInteraction | ButtonInteraction, result: RouterResult): Promise<void> {
    const asked = i.isButton()
      ? `pressed \`${i.customId.replace(/^ops:\d+:/, '').slice(0, 80)}\``
      : `asked \`${['/ops', i.options.getSubcommandGroup(false), i.options.getSubcommand(false)].filter(Boolean).join(' ')}\``;
    if (!this.deps.postToChannel || !i.channelId) {
      this.deps.log.error({ invocationId: result.invocationId }, 'the interaction token expired before the result was ready, and there is no channel to post it in');
      return;
    }
    const footer = `@${i.user.username} ${asked}; the interaction expired before this was done (Discord allows 15 minutes), so the result is posted here`;
    await this.deps.postToChannel(i.channelId, { ...result.reply, footer: result.reply.footer ? `${result.reply.footer} · ${footer}` : footer });
    this.deps.log.warn({ invocationId: result.invocationId, channel: i.channelId }, 'interaction token expired: result posted in the channel instead');
  }

  async button(i: ButtonInteraction): Promise<void> {
    const command = await this.deps.buttons.commandOf(i.customId);
    if (!command) {
      const refused = await this.deps.router.rejected({
        surface: 'discord', subject: subjectOf(i), what: 'button', code: 'expired', channel: i.channelId, line: i.customId,
        title: 'This button has expired', message: 'Type the command instead (`help` lists them).',
      });
      await this.answerPresserOnly(i, refused.reply);
      return;
    }
    // The interaction carries the message the button is on (as Discord holds it now): a custom_id
    // none of its buttons has was not pressed there (a crafted interaction, or an older version of the message).
    if (!pressedOnMessage(i)) {
      const refused = await this.deps.router.rejected({
        surface: 'discord', subject: subjectOf(i), what: 'button', code: 'invalid', channel: i.channelId, line: command,
        title: 'This button cannot run', message: 'This press was refused: the pressed button is not on the message. Type the command instead (`help` lists them).',
      });
      await this.answerPresserOnly(i, refused.reply);
      return;
    }
    const previousEmbeds = i.message.embeds.map((e) => e.toJSON() as APIEmbed);
    const previousComponents = i.message.components.map((c) => c.toJSON()) as unknown as DiscordMessage['components'];
    const outcome = async (r: Reply, succeeded: boolean) => {
      const customId = await this.deps.buttons.prepare(r);
      const msg = renderButtonOutcome(r, { userId: i.user.id, command, previousEmbeds, succeeded, previousComponents }, { customId });
      this.check(msg);
      return msg;
    };
    const pending = this.deps.router.handle({ subject: subjectOf(i), surface: 'discord', line: command, channel: i.channelId, id: newInvocationId() });
    const quick = await within(pending, this.deps.ackDeadlineMs);
    if (quick) {
      if (quick.reply.visibility === 'ephemeral') {
        // Errors, denials, usage and help go to the presser only; the message (often the outbox's alert) stays as it was.
        await this.answerPresserOnly(i, quick.reply);
      } else {
        const msg = await outcome(quick.reply, quick.outcome === 'ok');
        await this.deliver('interaction update', () => i.update(asOptions(msg)));
      }
      return;
    }
    await this.deliver('interaction defer update', () => i.deferUpdate());
    const result = await pending;
    await this.finishDeferred(i, result, (r) => outcome(r, result.outcome === 'ok'));
  }

  /** An ephemeral first response: only the member who typed or pressed sees it; no message is touched. */
  private async answerPresserOnly(i: ChatInputCommandInteraction | ButtonInteraction, reply: Reply): Promise<void> {
    const msg = await this.render(reply, { ephemeral: true });
    await this.deliver('interaction reply', () => i.reply(asOptions(msg)));
  }

  async autocomplete(i: AutocompleteInteraction): Promise<void> {
    const data = i.options.data as readonly InteractionOption[];
    const focus = focusedParam(this.deps.plan(), data);
    let names: readonly string[] = [];
    if (focus?.route.freeText) names = await this.deps.completions('command');
    else if (focus?.param?.complete) names = await this.deps.completions(focus.param.complete);
    else if (focus?.param?.choices) names = focus.param.choices;
    const typed = (focus?.value ?? '').toLowerCase();
    const choices = names
      .filter((n) => n.length >= 1 && n.length <= L.choiceValue && n.toLowerCase().includes(typed))
      .sort((a, b) => Number(!a.toLowerCase().startsWith(typed)) - Number(!b.toLowerCase().startsWith(typed)))
      .slice(0, L.autocompleteChoices)
      .map((n) => ({ name: clip(n, L.choiceName), value: n }));
    await this.deliver('autocomplete', () => i.respond(choices));
  }
}

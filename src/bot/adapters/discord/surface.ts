/**
 * The Discord surface: a discord.js gateway client (no privileged intents: interactions arrive
 * without any) that answers `/ops` and button presses, and the chat gateway others post through
 * (alerts, escalations, scheduled results) over the REST API with the one retry policy.
 */
import { Client, Events, GatewayIntentBits, Routes, type APIChannel, type APIMessage, type Interaction } from 'discord.js';
import type { Logger } from 'pino';
import type { ChatSurface } from '../../surface.js';
import type { MessageRef } from '../../../core/chat.js';
import type { Reply } from '../../../core/reply.js';
import type { RetryPolicy } from '../../../core/delivery.js';
import type { Collection } from '../../../core/store/types.js';
import { errorMessage } from '../../../core/errors.js';
import type { Router } from '../../router.js';
import { buildOpsCommand, type OpsCommandPlan } from './commands.js';
import { renderDiscord, type DiscordMessage } from './render.js';
import { ButtonCommands, isOpsCustomId, type StoredButton } from './buttons.js';
import { InteractionHandler, type CompleteKind } from './interactions.js';
import { deliverDiscord, restOptions } from './rest.js';
import { discordDmRefusal } from './dm-refusal.js';

export interface DiscordSurfaceOptions {
  token: string;
  /** REST base (`DISCORD_API_URL`), e.g. `https://discord.com/api`; the gateway URL comes from its `GET /gateway/bot`. */
  apiUrl?: string | undefined;
  router: Router;
  log: Logger;
  /** Where long button commands are kept (custom_id holds at most 100 characters). */
  buttonStore: Collection<StoredButton>;
  /** Names offered by autocomplete. */
  completions: (kind: CompleteKind) => readonly string[] | Promise<readonly string[]>;
  /** Answer directly when a command is done within this time, otherwise defer (default 2000 ms; Discord allows 3 s). */
  ackDeadlineMs?: number;
  retry?: RetryPolicy;
  /** Name of the application command (default `ops`). */
  commandName?: string;
}

type GatewayState = { state: 'stopped' | 'connecting' | 'ready' | 'disconnected'; reason?: string };

/** Discord user ids in chat references may come as `discord:user:<id>`. */
const userIdOf = (user: string) => user.replace(/^discord:user:/, '');

export class DiscordSurface implements ChatSurface {
  readonly name = 'discord';
  readonly client: Client;
  private gateway: GatewayState = { state: 'stopped' };
  private plan: OpsCommandPlan | undefined;
  private readonly buttons: ButtonCommands;
  private readonly interactions: InteractionHandler;
  private readonly dmChannels = new Map<string, string>();
  private readonly log: Logger;

  constructor(private readonly opts: DiscordSurfaceOptions) {
    this.log = opts.log.child({ surface: 'discord' });
    // Interactions need no intent; Guilds keeps discord.js's guild and role caches right.
    this.client = new Client({ intents: [GatewayIntentBits.Guilds], rest: restOptions(opts.apiUrl) });
    // REST works without the gateway: posting does not wait for READY.
    this.client.rest.setToken(opts.token);
    this.buttons = new ButtonCommands(opts.buttonStore);
    this.interactions = new InteractionHandler({
      router: opts.router,
      plan: () => this.commandPlan(),
      buttons: this.buttons,
      completions: opts.completions,
      log: this.log,
      ackDeadlineMs: opts.ackDeadlineMs ?? 2000,
      ...(opts.retry ? { retry: opts.retry } : {}),
      postToChannel: (channel, reply) => this.post(channel, reply),
    });
  }

  /** The `/ops` definition and its routes, from the registry as it is when first asked. */
  commandPlan(): OpsCommandPlan {
    this.plan ??= buildOpsCommand(this.opts.router.registry.all(), { name: this.opts.commandName ?? 'ops' });
    return this.plan;
  }

  async start(): Promise<void> {
    const plan = this.commandPlan();
    if (plan.omitted.length) this.log.warn({ omitted: plan.omitted }, 'commands without a Discord subcommand (Discord limits); reachable through the free-text subcommand');
    const c = this.client;
    c.on(Events.ClientReady, (ready) => {
      this.gateway = { state: 'ready' };
      this.log.info({ user: ready.user.tag, guilds: ready.guilds.cache.size }, 'discord gateway ready');
    });
    c.on(Events.ShardReady, () => { this.gateway = { state: 'ready' }; });
    c.on(Events.ShardResume, () => { this.gateway = { state: 'ready' }; });
    c.on(Events.ShardDisconnect, (ev) => { this.gateway = { state: 'disconnected', reason: `gateway closed (${ev.code})` }; });
    c.on(Events.ShardReconnecting, () => { this.gateway = { state: 'connecting', reason: 'gateway reconnecting' }; });
    c.on(Events.ShardError, (e) => this.log.warn({ err: errorMessage(e) }, 'discord gateway error'));
    c.on(Events.Invalidated, () => { this.gateway = { state: 'disconnected', reason: 'gateway session invalidated' }; });
    c.on(Events.InteractionCreate, (i) => { void this.onInteraction(i); });
    this.gateway = { state: 'connecting', reason: 'gateway connecting' };
    try {
      await deliverDiscord('gateway login', () => c.login(this.opts.token), { log: this.log, ...(this.opts.retry ? { policy: this.opts.retry } : {}) });
    } catch (e) {
      this.gateway = { state: 'disconnected', reason: `login failed: ${errorMessage(e)}` };
      throw new Error(`Discord login failed: ${errorMessage(e)}`);
    }
  }

  async stop(): Promise<void> {
    this.gateway = { state: 'stopped', reason: 'stopped' };
    await this.client.destroy();
  }

  notReadyReason(): string | undefined {
    if (this.gateway.state === 'ready' && this.client.isReady()) return undefined;
    return this.gateway.reason ?? `gateway ${this.gateway.state}`;
  }

  private async onInteraction(i: Interaction): Promise<void> {
    const name = this.opts.commandName ?? 'ops';
    try {
      if (i.isChatInputCommand() && i.commandName === name) await this.interactions.slashCommand(i);
      else if (i.isAutocomplete() && i.commandName === name) await this.interactions.autocomplete(i);
      else if (i.isButton() && isOpsCustomId(i.customId)) await this.interactions.button(i);
    } catch (e) {
      this.log.error({ err: e, interaction: i.id, type: i.type }, `discord interaction failed: ${errorMessage(e)}`);
    }
  }

  private deliver<T>(what: string, call: () => Promise<T>): Promise<T> {
    return deliverDiscord(what, call, { log: this.log, ...(this.opts.retry ? { policy: this.opts.retry } : {}) });
  }

  private async body(reply: Reply): Promise<DiscordMessage> {
    return renderDiscord(reply, { customId: await this.buttons.prepare(reply) });
  }

  async post(channel: string, reply: Reply, options?: { thread?: string }): Promise<MessageRef> {
    const body = await this.body(reply);
    // A Discord thread is a channel of its own.
    const target = options?.thread ?? channel;
    const msg = await this.deliver('post message', () => this.client.rest.post(Routes.channelMessages(target), { body })) as APIMessage;
    return { surface: this.name, channel, id: msg.id, ...(options?.thread ? { thread: options.thread } : {}) };
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const body = await this.body(reply);
    await this.deliver('update message', () => this.client.rest.patch(Routes.channelMessage(ref.thread ?? ref.channel, ref.id), { body }));
  }

  /** A final refusal (403 code 50007: the member blocks DMs from server members) is a `DirectMessageRefused`. */
  async directMessage(user: string, reply: Reply): Promise<MessageRef> {
    const id = userIdOf(user);
    try {
      let channel = this.dmChannels.get(id);
      if (!channel) {
        const dm = await this.deliver('open direct message', () => this.client.rest.post(Routes.userChannels(), { body: { recipient_id: id } })) as APIChannel;
        channel = dm.id;
        this.dmChannels.set(id, channel);
      }
      return await this.post(channel, reply);
    } catch (e) {
      throw discordDmRefusal(e) ?? e;
    }
  }
}

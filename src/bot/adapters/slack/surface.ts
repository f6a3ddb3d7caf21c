/**
 * The Slack surface: the real Bolt App on a receiver of ours (HTTP mode on the bot's Fastify
 * server, or Socket Mode with an app token), and the chat gateway (post, update, direct message)
 * through the one delivery path with retries.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { App } from '@slack/bolt';
import type { MessageRef } from '../../../core/chat.js';
import type { Reply } from '../../../core/reply.js';
import { errorMessage } from '../../../core/errors.js';
import type { Router } from '../../router.js';
import type { ChatSurface } from '../../surface.js';
import { FastifySlackReceiver } from './receiver.js';
import { SocketSlackReceiver } from './socket.js';
import { SlackWeb, boltLogger, webClientOptions } from './web.js';
import { SlackSubjects } from './subjects.js';
import { registerSlackListeners } from './interactions.js';
import { renderSlack } from './render.js';
import { slackDmRefusal } from './dm-refusal.js';
import { slackLimitViolations, type SlackMessage } from './limits.js';
import type { RetryPolicy } from '../../../core/delivery.js';

export interface SlackSurfaceOptions {
  botToken: string;
  /** HTTP mode: verifies requests to /slack/events. */
  signingSecret?: string | undefined;
  /** Socket Mode when set. */
  appToken?: string | undefined;
  apiUrl?: string | undefined;
  router: Router;
  log: Logger;
  command?: string;
  ackWithinMs?: number;
  usergroupCacheTtlMs?: number;
  retryPolicy?: RetryPolicy;
  /** How often the token is re-checked with auth.test for /readyz (default 60s; 0 = never). */
  authCheckIntervalMs?: number;
}

export class SlackSurface implements ChatSurface {
  readonly name = 'slack';
  readonly mode: 'http' | 'socket';
  readonly web: SlackWeb;
  readonly subjects: SlackSubjects;
  private readonly receiver: FastifySlackReceiver | SocketSlackReceiver;
  private app: App | undefined;
  private identity: { team?: string; user?: string; botId?: string } | undefined;
  private failure: string | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: SlackSurfaceOptions) {
    this.log = opts.log.child({ surface: 'slack' });
    this.mode = opts.appToken ? 'socket' : 'http';
    if (this.mode === 'http' && !opts.signingSecret) throw new Error('Slack HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)');
    this.web = new SlackWeb({ token: opts.botToken, apiUrl: opts.apiUrl, log: this.log, ...(opts.retryPolicy ? { policy: opts.retryPolicy } : {}) });
    this.subjects = new SlackSubjects({ web: this.web, ttlMs: opts.usergroupCacheTtlMs ?? 300_000, log: this.log });
    this.receiver = opts.appToken
      ? new SocketSlackReceiver({ appToken: opts.appToken, apiUrl: opts.apiUrl, log: this.log })
      : new FastifySlackReceiver({ signingSecret: opts.signingSecret as string, log: this.log });
  }

  /** HTTP mode: the Fastify plugin serving POST /slack/events (register it before the server listens). */
  httpPlugin(): FastifyPluginAsync | undefined {
    return this.receiver instanceof FastifySlackReceiver ? this.receiver.plugin() : undefined;
  }

  async start(): Promise<void> {
    try {
      const auth = await this.web.call('auth.test', (c) => c.auth.test());
      this.identity = { ...(auth.team ? { team: auth.team } : {}), ...(auth.user_id ? { user: auth.user_id } : {}), ...(auth.bot_id ? { botId: auth.bot_id } : {}) };
    } catch (e) {
      this.failure = `auth.test failed: ${errorMessage(e)}`;
      throw new Error(`Slack: ${this.failure} (check SLACK_BOT_TOKEN)`);
    }
    const app = new App({
      token: this.opts.botToken,
      ...(this.identity.botId ? { botId: this.identity.botId } : {}),
      ...(this.identity.user ? { botUserId: this.identity.user } : {}),
      receiver: this.receiver,
      clientOptions: webClientOptions({ apiUrl: this.opts.apiUrl, log: this.log }),
      logger: boltLogger(this.log.child({ component: 'bolt' })),
      convoStore: false,
    });
    app.error(async (e) => { this.log.error({ err: errorMessage(e) }, 'bolt listener error'); });
    registerSlackListeners(app, {
      router: this.opts.router,
      web: this.web,
      subjects: this.subjects,
      log: this.log,
      command: this.opts.command ?? '/ops',
      ackWithinMs: this.opts.ackWithinMs ?? 1_500,
      postMessage: (channel, msg, thread) => this.postRendered(channel, msg, thread),
    });
    this.app = app;
    await app.start();
    this.failure = undefined;
    const every = this.opts.authCheckIntervalMs ?? 60_000;
    if (every > 0) {
      this.authTimer = setInterval(() => { void this.checkAuth(); }, every);
      this.authTimer.unref();
    }
    this.log.info({ mode: this.mode, team: this.identity.team, botUser: this.identity.user }, 'slack surface started');
  }

  /** Re-checks the token (auth.test) for readiness: a revoked token or an unreachable Slack shows on /readyz. */
  async checkAuth(): Promise<string | undefined> {
    try {
      await this.web.call('auth.test', (c) => c.auth.test(), { attempts: 2, baseDelayMs: 500, maxDelayMs: 2_000 });
      this.failure = undefined;
    } catch (e) {
      if (!this.failure) this.log.error({ err: errorMessage(e) }, 'slack auth.test failed');
      this.failure = `auth.test failed: ${errorMessage(e)}`;
    }
    return this.failure;
  }

  async stop(): Promise<void> {
    clearInterval(this.authTimer);
    const app = this.app;
    this.app = undefined;
    await app?.stop().catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'slack stop failed'));
    this.web.close();
  }

  notReadyReason(): string | undefined {
    if (this.failure) return this.failure;
    if (!this.app || !this.identity) return 'not started';
    if (this.receiver instanceof SocketSlackReceiver && !this.receiver.isConnected) return 'socket mode not connected';
    return undefined;
  }

  /** Who the bot is in Slack (from auth.test), once started. */
  get botIdentity(): { team?: string; user?: string; botId?: string } | undefined {
    return this.identity;
  }

  async post(channel: string, reply: Reply, options?: { thread?: string }): Promise<MessageRef> {
    return this.postRendered(channel, renderSlack(reply), options?.thread);
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const msg = this.checked(renderSlack(reply));
    await this.web.call('chat.update', (c) => c.chat.update({ channel: ref.channel, ts: ref.id, ...msg } as never));
  }

  /** A final refusal (`cannot_dm_bot`, `user_not_found`, `messages_tab_disabled`…) is a `DirectMessageRefused`. */
  async directMessage(user: string, reply: Reply): Promise<MessageRef> {
    const userId = user.replace(/^slack:/, '');
    try {
      const open = await this.web.call('conversations.open', (c) => c.conversations.open({ users: userId }));
      const channel = open.channel?.id;
      if (!channel) throw new Error(`conversations.open gave no channel for ${userId}`);
      return await this.post(channel, reply);
    } catch (e) {
      throw slackDmRefusal(e) ?? e;
    }
  }

  private async postRendered(channel: string, msg: SlackMessage, thread?: string): Promise<MessageRef> {
    const body = this.checked(msg);
    const res = await this.web.call('chat.postMessage', (c) => c.chat.postMessage({ channel, ...body, ...(thread ? { thread_ts: thread } : {}) } as never));
    return { surface: this.name, channel: res.channel ?? channel, id: String(res.ts), ...(thread ? { thread } : {}) };
  }

  /** Last line of defence: a message Slack would reject is sent as plain text instead. */
  private checked(msg: SlackMessage): SlackMessage | { text: string } {
    const problems = slackLimitViolations(msg);
    if (problems.length === 0) return msg;
    this.log.error({ problems: problems.slice(0, 5) }, 'rendered slack message breaks a limit; sending text only');
    return { text: msg.text.slice(0, 3_000) };
  }
}

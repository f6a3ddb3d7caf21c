/** The chat surfaces a configuration asks for: Slack, Discord (by their tokens) and the console. */
import type { Readable, Writable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { Subject } from '../core/command.js';
import type { Router } from '../bot/router.js';
import type { ChatSurface } from '../bot/surface.js';
import { ConsoleSurface } from '../bot/adapters/console/surface.js';
import { SlackSurface } from '../bot/adapters/slack/surface.js';
import type { RunningConfig } from './reload/running-config.js';

export interface ConsoleIo {
  input: Readable;
  output: Writable;
  interactive: boolean;
}

export interface Surfaces {
  surfaces: ChatSurface[];
  /** HTTP routes the surfaces need (Slack's events endpoint). */
  plugins: FastifyPluginAsync[];
}

/** Slack and Discord when their credentials are set (discord.js, ~45 MiB, is loaded only then). */
export async function createChatSurfaces(config: Config, env: Env, deps: { router: Router; log: Logger; store: Store; running: RunningConfig }): Promise<Surfaces> {
  const { router, log, store } = deps;
  const surfaces: ChatSurface[] = [];
  const plugins: FastifyPluginAsync[] = [];
  if (env.SLACK_BOT_TOKEN && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN)) {
    const slack = new SlackSurface({
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
      router,
      log,
      command: config.slack.command,
      ackWithinMs: config.slack.ackWithin,
      usergroupCacheTtlMs: config.slack.usergroupCacheTtl,
    });
    surfaces.push(slack);
    const plugin = slack.httpPlugin();
    if (plugin) plugins.push(plugin);
  }
  if (env.DISCORD_TOKEN) {
    const { DiscordSurface } = await import('../bot/adapters/discord/surface.js');
    surfaces.push(new DiscordSurface({
      token: env.DISCORD_TOKEN,
      apiUrl: env.DISCORD_API_URL,
      router,
      log,
      buttonStore: store.collection('discord_buttons'),
      completions: (kind) => (kind === 'target' ? deps.running.targetNames() : kind === 'command' ? router.registry.all().map((c) => c.name) : []),
    }));
  }
  return { surfaces, plugins };
}

export function createConsoleSurface(router: Router, subject: Subject, io: ConsoleIo, onEnd?: () => void, name?: string): ConsoleSurface {
  return new ConsoleSurface({ router, subject, ...io, ...(onEnd ? { onEnd } : {}), ...(name ? { name } : {}) });
}

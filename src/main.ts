/**
 * The composition root: the one place that reads the parsed config and environment and wires
 * store, coordination, router, handlers, surfaces and the HTTP server together.
 */
import type { Readable, Writable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from './config/schema.js';
import type { Env } from './config/env.js';
import { createLogger, type Logger } from './core/logger.js';
import { Redactor, secretsFromEnv } from './core/redact.js';
import { Metrics } from './core/metrics.js';
import { openStore, type Store } from './core/store/index.js';
import { MemoryCoordination } from './core/coordination/memory.js';
import type { Coordination } from './core/coordination/types.js';
import { AuditLog } from './core/audit.js';
import { Rbac } from './core/rbac.js';
import type { Subject } from './core/command.js';
import { CommandRegistry } from './bot/registry.js';
import { Router } from './bot/router.js';
import type { ChatSurface } from './bot/surface.js';
import { ConsoleSurface } from './bot/adapters/console/surface.js';
import { DiscordSurface } from './bot/adapters/discord/surface.js';
import { createHttpServer, type ReadinessCheck } from './http/server.js';
import { helpCommands } from './handlers/help.js';
import { healthCommands } from './handlers/health.js';
import { auditCommands } from './handlers/audit.js';

export interface BotOptions {
  config: Config;
  env: Env;
  /** Raw environment, only for collecting secret values to redact. */
  rawEnv?: NodeJS.ProcessEnv;
  /** Start the HTTP server (default true). */
  http?: boolean;
  /** Console surface: streams to use, or false for none. Defaults to stdin/stdout when no chat surface is configured. */
  console?: { input: Readable; output: Writable; interactive: boolean } | false;
  /** Called when the console reaches the end of its input. */
  onConsoleEnd?: () => void;
  /** In-memory store instead of the data directory (one-shot CLI runs that must not touch data). */
  memoryStore?: boolean;
  log?: Logger;
}

export interface Bot {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: Store;
  coordination: Coordination;
  audit: AuditLog;
  registry: CommandRegistry;
  router: Router;
  surfaces: ChatSurface[];
  http?: FastifyInstance;
  consoleSubject: Subject;
  /** Starts surfaces and HTTP; returns the bound HTTP port (0 when HTTP is off). */
  start(): Promise<{ port: number }>;
  /** Graceful: stop accepting, finish running commands (bounded), flush the store. */
  stop(): Promise<void>;
}

export async function createBot(opts: BotOptions): Promise<Bot> {
  const { config, env } = opts;
  const redactor = new Redactor(secretsFromEnv(opts.rawEnv ?? {}));
  const log = opts.log ?? createLogger({ level: env.LOG_LEVEL, redactor });
  const metrics = new Metrics();
  const store = await openStore({ mongodbUrl: env.MONGODB_URL, dataDir: opts.memoryStore ? null : env.OPSBOT_DATA_DIR });
  const coordination: Coordination = new MemoryCoordination();
  const audit = new AuditLog(store);
  const rbac = new Rbac(config.rbac);
  const registry = new CommandRegistry();

  registry.register(
    ...helpCommands(() => registry.all()),
    ...healthCommands({ targets: config.targets, checkTimeoutMs: config.bot.checkTimeout }),
    ...auditCommands(audit),
  );

  const router = new Router({
    registry,
    rbac,
    audit,
    metrics,
    log,
    redactor,
    environmentOf: (t) => config.targets[t]?.environment,
    commandTimeoutMs: config.bot.commandTimeout,
  });

  const consoleSubject: Subject = { id: config.bot.consoleUser, display: config.bot.consoleUser };
  const surfaces: ChatSurface[] = [];
  if (env.DISCORD_TOKEN) {
    surfaces.push(new DiscordSurface({
      token: env.DISCORD_TOKEN,
      apiUrl: env.DISCORD_API_URL,
      router,
      log,
      buttonStore: store.collection('discord_buttons'),
      completions: (kind) => (kind === 'target' ? Object.keys(config.targets) : kind === 'command' ? registry.all().map((c) => c.name) : []),
    }));
  }
  const consoleIo = opts.console === undefined
    ? (surfaces.length === 0 ? { input: process.stdin, output: process.stdout, interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) } : false)
    : opts.console;
  if (consoleIo) {
    surfaces.push(new ConsoleSurface({ router, subject: consoleSubject, ...consoleIo, ...(opts.onConsoleEnd ? { onEnd: opts.onConsoleEnd } : {}) }));
  }

  const readiness: ReadinessCheck[] = [
    { name: 'store', check: async () => { await store.ping(); return undefined; } },
    { name: 'coordination', check: async () => { await coordination.ping(); return undefined; } },
    ...surfaces.map((s) => ({ name: `surface:${s.name}`, check: () => s.notReadyReason() })),
  ];
  const plugins: FastifyPluginAsync[] = [];
  const http = opts.http === false ? undefined : await createHttpServer({ log, metrics, readiness, plugins });

  let stopping: Promise<void> | undefined;
  const bot: Bot = {
    config, log, metrics, store, coordination, audit, registry, router, surfaces, consoleSubject,
    ...(http ? { http } : {}),
    async start() {
      let port = 0;
      if (http) {
        await http.listen({ port: env.PORT, host: env.HOST });
        const addr = http.server.address();
        port = typeof addr === 'object' && addr ? addr.port : env.PORT;
        log.info({ port, host: env.HOST, store: store.kind, surfaces: surfaces.map((s) => s.name) }, 'opsbot started');
      }
      for (const s of surfaces) await s.start();
      return { port };
    },
    stop() {
      stopping ??= (async () => {
        log.info('shutting down');
        await Promise.allSettled(surfaces.map((s) => s.stop()));
        await http?.close();
        await router.drain(config.bot.shutdownTimeout);
        await store.close();
        await coordination.close();
        log.info('stopped');
        log.flush();
      })();
      return stopping;
    },
  };
  return bot;
}

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
import { StoreCoordination } from './core/coordination/store.js';
import { RedisCoordination } from './core/coordination/redis.js';
import type { Coordination } from './core/coordination/types.js';
import { AuditLog } from './core/audit.js';
import { Rbac } from './core/rbac.js';
import type { Subject } from './core/command.js';
import { CommandRegistry } from './bot/registry.js';
import { Router } from './bot/router.js';
import type { ChatSurface } from './bot/surface.js';
import { ConsoleSurface } from './bot/adapters/console/surface.js';
import { SlackSurface } from './bot/adapters/slack/surface.js';
import { DiscordSurface } from './bot/adapters/discord/surface.js';
import { createHttpServer, type ReadinessCheck } from './http/server.js';
import { helpCommands } from './handlers/help.js';
import { healthCommands } from './handlers/health.js';
import { auditCommands } from './handlers/audit.js';
import { userCommands } from './handlers/users.js';
import { UserDirectories } from './ops/users/open.js';
import { withAlertmanagerDefault } from './ops/probes/alerts.js';
import { containerCommands, selectorOf } from './handlers/containers.js';
import { DockerService } from './ops/docker.js';
import type { ProbeServices } from './ops/probes/index.js';
import { backupCommands } from './handlers/backup.js';
import { checklistCommands } from './handlers/checklist.js';
import { BackupCatalog } from './ops/backup/catalog.js';
import { BackupService } from './ops/backup/service.js';
import { createEngines } from './ops/backup/engines.js';
import type { ChatGateway } from './core/chat.js';
import { Outbox, type OutboxGateway } from './core/outbox.js';
import { AlertService } from './core/alerts/service.js';
import { AlertMetrics } from './core/alerts/metrics.js';
import { AlertmanagerClient } from './ops/alertmanager.js';
import { alertCommands } from './handlers/alerts.js';
import { alertmanagerWebhook } from './http/alertmanager-webhook.js';

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
  /** Further chat gateways by their name (tests; surfaces built outside createBot). */
  chatGateways?: ChatGateway[];
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
  alerts: AlertService;
  outbox: Outbox;
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
  const docker = new DockerService({ defaultHost: env.DOCKER_HOST });
  const store = await openStore({ mongodbUrl: env.MONGODB_URL, dataDir: opts.memoryStore ? null : env.OPSBOT_DATA_DIR, log: log.child({ component: 'store' }) });
  // Redis when set; otherwise leases in the store in use, so the bot and every `opsbot exec` share them.
  const coordination: Coordination = env.REDIS_URL ? await RedisCoordination.connect(env.REDIS_URL) : new StoreCoordination(store);
  const audit = new AuditLog(store);
  const rbac = new Rbac(config.rbac);
  const registry = new CommandRegistry();
  const backups = new BackupService({
    jobs: Object.fromEntries(Object.entries(config.targets).map(([name, t]) => [name, t.backups])),
    catalog: BackupCatalog.of(store),
    coordination,
    engines: createEngines(),
  });
  const probeServices: ProbeServices = {
    docker: {
      service: docker,
      containerOf: (t) => { const c = config.targets[t]?.container; return c ? selectorOf(c) : undefined; },
    },
    backups,
  };

  // `alerts` checks without their own url use ALERTMANAGER_URL.
  const probeTargets = withAlertmanagerDefault(config.targets, env.ALERTMANAGER_URL);
  const userDirectories = UserDirectories.fromConfig(config.targets);
  // Alerting: gateways are filled in once the surfaces exist; deliveries to a missing surface wait.
  const gateways = new Map<string, OutboxGateway>();
  const alertSources: ConstructorParameters<typeof AlertMetrics>[1] = {};
  const alertMetrics = new AlertMetrics(metrics.registry, alertSources);
  const outbox: Outbox = new Outbox({
    store, coordination, gateways, rate: config.alerting.rate, log: log.child({ component: 'outbox' }), metrics: alertMetrics,
    onDelivered: (item): Promise<void> => alerts.delivered(item),
  });
  const alerts = new AlertService({ store, coordination, outbox, config: config.alerting, log: log.child({ component: 'alerts' }), metrics: alertMetrics });
  alertSources.groupsByState = () => alerts.countByState();
  alertSources.outboxDepth = () => outbox.depthBySurface();
  alertSources.outboxDead = () => outbox.deadCount();
  const alertmanagerUrl = env.ALERTMANAGER_URL ?? config.alerting.alertmanagerUrl;
  const alertmanager = alertmanagerUrl ? new AlertmanagerClient(alertmanagerUrl, config.alerting.alertmanagerTimeout) : undefined;

  registry.register(
    ...helpCommands(() => registry.all()),
    ...healthCommands({ targets: probeTargets, checkTimeoutMs: config.bot.checkTimeout, probeServices }),
    ...auditCommands(audit),
    ...userCommands({
      directory: (t) => userDirectories.get(t),
      targets: () => Object.keys(config.targets),
      directoryTargets: () => userDirectories.targets(),
    }),
    ...containerCommands({ targets: probeTargets, docker, coordination, redactor, checkTimeoutMs: config.bot.checkTimeout, probeServices }),
    ...backupCommands({ targets: config.targets, backups }),
    ...checklistCommands({ targets: probeTargets, checkTimeoutMs: config.bot.checkTimeout, probeServices, backups, openAlerts: () => alerts.listOpen(200) }),
    ...alertCommands({ service: alerts, ...(alertmanager ? { alertmanager } : {}) }),
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

  for (const g of [...surfaces, ...(opts.chatGateways ?? [])]) gateways.set(g.name, g);

  const readiness: ReadinessCheck[] = [
    { name: 'store', check: async () => { await store.ping(); return undefined; } },
    { name: 'coordination', check: async () => { await coordination.ping(); return undefined; } },
    ...surfaces.map((s) => ({ name: `surface:${s.name}`, check: () => s.notReadyReason() })),
    { name: 'outbox', check: () => outbox.waitingReason() },
  ];
  plugins.push(alertmanagerWebhook({
    receive: (p) => alerts.receive(p),
    token: env.WEBHOOK_TOKEN ?? config.alerting.webhookToken,
    bodyLimit: config.alerting.bodyLimit,
    count: (outcome) => alertMetrics.webhooks.inc({ outcome }),
  }));
  const http = opts.http === false ? undefined : await createHttpServer({ log, metrics, readiness, plugins });

  let stopping: Promise<void> | undefined;
  const bot: Bot = {
    config, log, metrics, store, coordination, audit, registry, router, surfaces, consoleSubject, alerts, outbox,
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
      await outbox.start();
      await alerts.start();
      return { port };
    },
    stop() {
      stopping ??= (async () => {
        log.info('shutting down');
        await Promise.allSettled(surfaces.map((s) => s.stop()));
        await http?.close();
        await alerts.stop();
        await outbox.stop();
        await router.drain(config.bot.shutdownTimeout);
        await userDirectories.close();
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

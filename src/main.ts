/**
 * The composition root: the one place that reads the parsed config and environment and wires
 * store, coordination, router, handlers, surfaces and the HTTP server together. Each wiring step
 * lives in src/wiring/; this file orders them and owns the bot's start and stop.
 */
import type { Readable, Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import type { Env } from './config/env.js';
import { createLogger, flushLog, type Logger } from './core/logger.js';
import { Redactor, secretsFromEnv } from './core/redact.js';
import { Metrics } from './core/metrics.js';
import type { Store } from './core/store/index.js';
import type { Coordination } from './core/coordination/types.js';
import { AuditLog } from './core/audit.js';
import { unknownCommandPatterns } from './core/rbac.js';
import { ConfigError } from './config/load.js';
import type { Subject } from './core/command.js';
import type { ChatGateway } from './core/chat.js';
import type { Outbox } from './core/outbox/index.js';
import type { AlertService } from './core/alerts/service.js';
import type { CommandRegistry } from './bot/registry.js';
import type { Router } from './bot/router.js';
import type { ChatSurface } from './bot/surface.js';
import { createHttpServer } from './http/server.js';
import { openState } from './wiring/state.js';
import { wireOperations } from './wiring/operations.js';
import { wireAlerting } from './wiring/alerting.js';
import { createRbac, createRouter, registerCommands } from './wiring/commands.js';
import { createChatSurfaces, createConsoleSurface, type ConsoleIo } from './wiring/surfaces.js';
import { oncallPlugins, readinessChecks, webhookPlugin } from './wiring/http.js';
import { wireOncall, withOncallRoutes, type Oncall } from './wiring/oncall.js';
import { wireMaintenance, type Maintenance } from './wiring/maintenance.js';
import { wireScheduler } from './wiring/scheduler.js';
import type { Scheduler } from './core/scheduler/scheduler.js';
import { systemClock, type Clock } from './core/clock.js';
import { wireRunbooks } from './wiring/runbooks.js';
import type { Runbooks } from './core/runbooks/executor.js';
import type { Gate } from './core/invocation.js';
import type { ApprovalEvents } from './core/approvals/port.js';
import { approvalConfigProblems, wireApprovals } from './wiring/approvals.js';
import type { ApprovalService } from './core/approvals/index.js';
import { wireRetention } from './wiring/retention.js';
import { applyConfig, type Applied } from './wiring/reload/apply.js';
import { RunningConfig } from './wiring/reload/running-config.js';
import { AlertTargets } from './core/alerts/targets.js';
import { TargetServices } from './wiring/reload/target-services.js';
import { removedTargetProblems } from './wiring/reload/removed-targets.js';
import { targetCommands } from './wiring/target-commands.js';

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
  /** The clock time-based services run on (tests pass a ManualClock); the system clock by default. */
  clock?: Clock;
  /** A stand-in approval gate and its decisions instead of the approvals service (tests). */
  approvals?: { gate: Gate; events: ApprovalEvents };
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
  /** Maintenance windows; `maintenance.windows` is the MaintenanceWindows port. */
  maintenance: Maintenance;
  scheduler: Scheduler;
  /** Schedules, overrides and escalations. */
  oncall: Oncall;
  runbooks: Runbooks;
  approvals: ApprovalService;
  http?: FastifyInstance;
  consoleSubject: Subject;
  /**
   * Throws a ConfigError when a role's allow / deny list, an approvals rule or a runbook step names
   * a command that is not registered, or a job's `run` is not a command its subject may run
   * (start and `opsbot exec` do this first).
   */
  checkRbac(): void;
  /** What `checkRbac` checks, as every problem with its key path (`opsbot validate-config` lists them). */
  commandProblems(): string[];
  /**
   * Applies a reloaded config (validated, restart-only keys unchanged: src/wiring/reload/) to the
   * running services; `config` is the new one afterwards.
   */
  reconfigure(next: Config): Promise<Applied>;
  /** What a reload to `next` must not do to the running bot (remove a target still named), with key paths. */
  reloadProblems(next: Config): string[];
  /** Starts surfaces and HTTP; returns the bound HTTP port (0 when HTTP is off). */
  start(): Promise<{ port: number }>;
  /** Graceful: stop accepting, finish running commands (bounded), flush the store. */
  stop(): Promise<void>;
}

/** The console on stdin/stdout when no chat surface is configured, unless the caller decided. */
function consoleIoOf(opts: BotOptions, chatSurfaces: number): ConsoleIo | false {
  if (opts.console !== undefined) return opts.console;
  if (chatSurfaces > 0) return false;
  return { input: process.stdin, output: process.stdout, interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) };
}

export async function createBot(opts: BotOptions): Promise<Bot> {
  const { config, env } = opts;
  const redactor = new Redactor(secretsFromEnv(opts.rawEnv ?? {}));
  const log = opts.log ?? createLogger({ level: env.LOG_LEVEL, redactor });
  const metrics = new Metrics();
  const clock = opts.clock ?? systemClock;
  const state = await openState(env, { memoryStore: opts.memoryStore, log, clock });
  const { store, coordination } = state;
  const audit = new AuditLog(store, { redactor });
  // The config in force: replaced by each applied reload, read wherever a target is looked up.
  const running = new RunningConfig(config);
  const alerting = wireAlerting(withOncallRoutes(config), env, { store, coordination, log, metrics, clock });
  // Which targets an alert group is about: the running config's target labels and names.
  const alertTargets = new AlertTargets(() => running.targetLabels(), () => running.targetNames());
  // The target-dependent services and commands, built again by a reload of `targets` or `hosts`.
  const opsHost = { toolPath: process.env.PATH, serving: () => opts.http !== false, secretEnv: { ...process.env, ...opts.rawEnv } };
  const targetServices = new TargetServices(config, {
    build: (c) => {
      const ops = wireOperations(c, env, state, opsHost);
      return { ops, families: targetCommands(c, { ops, redactor, alerts: alerting.alerts, alertTargets }) };
    },
    registry: () => registry,
    log,
  });
  // Alerting's own changes (a group opened, resolved by Alertmanager, a silence expired, a storm released) are audited.
  alerting.listeners.push(({ action, detail, group: _group, ...rest }) => audit.systemEvent({ action, message: detail, detail: { ...rest } }));
  const maintenance = wireMaintenance(config, { store, alerting, audit, log, clock, running });
  const oncall = wireOncall(config, { store, coordination, log, alerting, running, clock, maintenance: maintenance.windows, audit });
  alerting.listeners.push((e) => oncall.escalations.onAlertEvent(e));
  const rbac = createRbac(config, oncall.grant);
  const jobs = wireScheduler(config, { store, clock, log, audit, alerting, rbac, runner: () => router.runner, registry: () => registry, running, maintenance: maintenance.windows });
  const approvals = wireApprovals(config, { store, messages: alerting.outbox, rbac, audit, redactor, log, clock, running });
  const runbookWiring = wireRunbooks(config, { store, coordination, outbox: alerting.outbox, alerts: alerting.alerts, log, running, audit, clock, approvals: opts.approvals?.events ?? approvals });
  const registry = registerCommands(config, { audit, redactor, targets: targetServices.families, running, alerting, rbac, maintenance, jobs: jobs.commands, runbooks: runbookWiring, approvals, clock });
  registry.register(...oncall.commands);
  const router = createRouter(config, { registry, rbac, audit, metrics, log, redactor, clock, running, gate: opts.approvals?.gate ?? approvals.gate });
  approvals.runner = router.runner;
  runbookWiring.bind(router);
  const { scheduler } = jobs;
  const retention = wireRetention(config, { store, coordination, clock, log, audit });
  const { runbooks } = runbookWiring;
  // A route's `autoRun` runbook starts when a group opens on it.
  alerting.listeners.push(async (e) => {
    if (e.action === 'alert.opened' && e.alertId) await runbooks.onAlertEvent({ type: 'opened', group: e.group ?? await alerting.alerts.find(e.alertId) });
  });

  const consoleSubject: Subject = { id: config.bot.consoleUser, display: config.bot.consoleUser };
  const { surfaces, plugins } = await createChatSurfaces(config, env, { router, log, store, running });
  const consoleIo = consoleIoOf(opts, surfaces.length);
  if (consoleIo) surfaces.push(createConsoleSurface(router, consoleSubject, consoleIo, opts.onConsoleEnd, config.bot.name));
  for (const g of [...surfaces, ...(opts.chatGateways ?? [])]) alerting.gateways.set(g.name, g);

  plugins.push(webhookPlugin(config, env, alerting));
  plugins.push(...oncallPlugins(oncall));
  const readiness = readinessChecks(state, surfaces, alerting);
  const http = opts.http === false ? undefined : await createHttpServer({ log, metrics, readiness, plugins });
  const { alerts, outbox } = alerting;

  let stopping: Promise<void> | undefined;
  const bot: Bot = {
    config, log, metrics, store, coordination, audit, registry, router, surfaces, consoleSubject, alerts, outbox, maintenance, scheduler, oncall, runbooks, approvals,
    ...(http ? { http } : {}),
    checkRbac() {
      const unknown = unknownCommandPatterns(config.rbac, registry.all());
      if (unknown.length) throw new ConfigError('rbac', unknown);
      const jobProblems = jobs.problems();
      if (jobProblems.length) throw new ConfigError('jobs', jobProblems);
      const approvalProblems = approvalConfigProblems(config, registry.all());
      if (approvalProblems.length) throw new ConfigError('approvals', approvalProblems);
      runbookWiring.check(registry);
    },
    commandProblems() {
      return [
        ...unknownCommandPatterns(config.rbac, registry.all()),
        ...approvalConfigProblems(config, registry.all()),
        ...jobs.problems(),
        ...runbookWiring.problems(registry),
      ];
    },
    async reconfigure(next) {
      const applied = await applyConfig({ rbac, alerts, outbox, oncall, scheduler, approvals, runbooks: runbookWiring, running, targets: targetServices, retention }, next);
      bot.config = next;
      return applied;
    },
    reloadProblems(next) {
      return removedTargetProblems(running.config, next, registry);
    },
    async start() {
      // Commands are all registered by now (tests register theirs before start): role lists must name them.
      bot.checkRbac();
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
      await maintenance.start();
      await scheduler.start();
      await oncall.start();
      await runbooks.start();
      await approvals.start();
      retention.start();
      return { port };
    },
    stop() {
      stopping ??= (async () => {
        log.info('shutting down');
        await Promise.allSettled(surfaces.map((s) => s.stop()));
        await http?.close();
        await oncall.stop();
        await scheduler.stop(config.bot.shutdownTimeout);
        await approvals.stop();
        await retention.stop();
        await alerts.stop();
        await maintenance.stop();
        await runbooks.stop();
        await outbox.stop();
        await router.drain(config.bot.shutdownTimeout);
        await targetServices.closeAll();
        await store.close();
        await coordination.close();
        log.info('stopped');
        await flushLog(log);
      })();
      return stopping;
    },
  };
  return bot;
}

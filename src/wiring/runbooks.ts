/**
 * Runbooks: the service that drives runs (core/runbooks), its commands, and what it needs of
 * the router (a CommandRunner, each step's risk and dry-run description), bound once the
 * router exists. `onAlertEvent` is for AlertService's event callback (autoRun).
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { Coordination } from '../core/coordination/types.js';
import type { Access, Risk } from '../core/command.js';
import type { CommandRunner } from '../core/invocation.js';
import type { ApprovalEvents } from '../core/approvals/port.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ConfigError } from '../config/load.js';
import { AlertTargets } from '../core/alerts/targets.js';
import type { AlertService } from '../core/alerts/service.js';
import { Runbooks, type RunOutbox } from '../core/runbooks/executor.js';
import { runbookCommands } from '../handlers/runbook.js';
import { stripPrefix } from '../bot/parse.js';
import { parseLine } from '../bot/router/parse-step.js';
import type { Router } from '../bot/router.js';
import type { CommandRegistry } from '../bot/registry.js';
import type { RunningConfig } from './reload/running-config.js';

export interface RunbooksWiring {
  runbooks: Runbooks;
  commands: ReturnType<typeof runbookCommands>;
  /** Gives the service the router it runs steps through. */
  bind(router: Router): void;
  /** Every step names a registered command, and autoRun runbooks start with read steps only (a ConfigError otherwise). */
  check(registry: CommandRegistry): void;
  /** The same checks as `check`, as problems with their key paths (for `validate-config`). */
  problems(registry: CommandRegistry): string[];
  /** A reloaded config's runbooks and routes' `autoRun` (checked first, by `problems` of a bot built on it). */
  reconfigure(next: Pick<Config, 'runbooks' | 'alerting'>): void;
}

/** Route name → the runbook it starts by itself when a group opens. */
function autoRunOf(routes: Config['alerting']['routes']): Map<string, string> {
  const autoRun = new Map<string, string>();
  routes.forEach((r, i) => {
    if (r.autoRun && r.runbook) autoRun.set(r.name ?? `routes[${i}]`, r.runbook);
  });
  return autoRun;
}

/** The command a template line runs: its first words against the registry (placeholders never name commands). */
function commandOf(registry: CommandRegistry, line: string) {
  return registry.match(stripPrefix(line.trim().split(/\s+/)))?.command;
}

export function wireRunbooks(config: Config, deps: {
  store: Store; coordination: Coordination; outbox: RunOutbox; alerts: Pick<AlertService, 'find'>; log: Logger; running: RunningConfig;
  approvals?: ApprovalEvents | undefined; clock?: Clock; audit?: ConstructorParameters<typeof Runbooks>[0]['audit'];
}): RunbooksWiring {
  let router: Router | undefined;
  const runner: CommandRunner = {
    run: (line, o) => {
      if (!router) throw new Error('runbooks: the router is not bound yet');
      return router.runner.run(line, o);
    },
  };
  const alertTargets = new AlertTargets(() => deps.running.targetLabels(), () => deps.running.targetNames());
  let autoRun = autoRunOf(config.alerting.routes);
  const riskOf = (line: string): Risk | undefined => (router ? commandOf(router.registry, line)?.risk : undefined);
  const runbooks = new Runbooks({
    definitions: config.runbooks,
    store: deps.store,
    coordination: deps.coordination,
    outbox: deps.outbox,
    runner,
    clock: deps.clock ?? systemClock,
    log: deps.log.child({ component: 'runbooks' }),
    targets: () => deps.running.targetNames(),
    alerts: deps.alerts,
    targetOfAlert: (g) => alertTargets.primaryTarget({ groupLabels: g.groupLabels, commonLabels: g.commonLabels, alerts: (g.alerts ?? []) as never }),
    riskOf,
    autoRunOf: (route) => autoRun.get(route),
    ...(deps.approvals ? { approvals: deps.approvals } : {}),
    ...(deps.audit ? { audit: deps.audit } : {}),
  });
  const describeLine = async (line: string, access: Access): Promise<string> => {
    if (!router) return 'the router is not bound yet';
    const step = parseLine(router.registry, line);
    if (step.kind === 'settled') return `cannot run: ${step.settled.error?.message ?? step.settled.reply.title}`;
    const { command, args } = step;
    if (!command.describe) return `run \`${command.name}\` (${command.risk})`;
    try {
      return await command.describe(args as never, access);
    } catch (e) {
      return `cannot run: ${(e as Error).message}`;
    }
  };
  return {
    runbooks,
    commands: runbookCommands({ runbooks, describeLine, now: () => (deps.clock ?? systemClock).now() }),
    bind(r) { router = r; },
    reconfigure(next) {
      runbooks.setDefinitions(next.runbooks);
      autoRun = autoRunOf(next.alerting.routes);
    },
    check(registry) {
      const problems = this.problems(registry);
      if (problems.length) throw new ConfigError('runbooks', problems);
    },
    problems(registry) {
      const problems: string[] = [];
      for (const [name, rb] of Object.entries(config.runbooks)) {
        rb.steps.forEach((s, i) => {
          if (!commandOf(registry, s.line)) problems.push(`runbooks.${name}.steps[${i}].${s.kind}: unknown command in "${s.line}"`);
        });
      }
      if (!problems.length) {
        config.alerting.routes.forEach((r, i) => {
          const why = r.autoRun && r.runbook ? runbooks.autoRunRefusal(r.runbook) : undefined;
          if (why) problems.push(`alerting.routes[${i}].autoRun: runbook ${r.runbook} cannot run by itself: ${why}`);
        });
      }
      return problems;
    },
  };
}

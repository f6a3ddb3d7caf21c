/** The command registry with every command family, and the router that runs them. */
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Redactor } from '../core/redact.js';
import type { AuditLog } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import type { Gate } from '../core/invocation.js';
import { Rbac, type AccessGrant } from '../core/rbac.js';
import { People } from '../core/people.js';
import { AlertTargets } from '../core/alerts/targets.js';
import { whoamiCommands } from '../handlers/whoami.js';
import { CommandRegistry } from '../bot/registry.js';
import { Router } from '../bot/router.js';
import { helpCommands } from '../handlers/help.js';
import { auditCommands } from '../handlers/audit.js';
import { alertCommands } from '../handlers/alerts.js';
import type { Alerting } from './alerting.js';
import type { TargetCommandFamilies } from './target-commands.js';
import type { RunningConfig } from './reload/running-config.js';
import type { Maintenance } from './maintenance.js';
import { jobCommands, type JobsDeps } from '../handlers/jobs.js';
import type { RunbooksWiring } from './runbooks.js';
import { approvalCommands, type Approvals } from '../handlers/approvals.js';

/** RBAC over the configured people and roles: one instance for the router and `whoami`. */
export function createRbac(config: Config, grant?: AccessGrant): Rbac {
  return new Rbac(config.rbac, { people: new People(config.people), ...(grant ? { grant } : {}) });
}

/**
 * Every command family. `targets` are the target-dependent families of the current generation
 * (a reload swaps them: reload/target-services.ts); `running` is the config in force, for the
 * target names alert labels are matched against.
 */
export function registerCommands(config: Config, deps: { audit: AuditLog; redactor: Redactor; targets: TargetCommandFamilies; running: RunningConfig; alerting: Alerting; rbac: Rbac; maintenance: Maintenance; jobs: JobsDeps; runbooks: RunbooksWiring; approvals: Approvals; clock: Clock }): CommandRegistry {
  const { audit, alerting, rbac, targets } = deps;
  const alertTargets = new AlertTargets(() => deps.running.targetLabels(), () => deps.running.targetNames());
  const registry = new CommandRegistry();
  registry.register(
    ...helpCommands(() => registry.all()),
    ...whoamiCommands({ rbac, listCommands: () => registry.all() }),
    ...targets.health,
    ...auditCommands(audit),
    ...targets.user,
    ...targets.containers,
    ...targets.backup,
    ...targets.checklist,
    ...alertCommands({ service: alerting.alerts, targets: alertTargets, now: () => deps.clock.date(), ...(alerting.alertmanager ? { alertmanager: alerting.alertmanager } : {}) }),
    ...deps.maintenance.commands,
    ...jobCommands(deps.jobs),
    ...deps.runbooks.commands,
    ...approvalCommands(deps.approvals),
  );
  return registry;
}

export function createRouter(config: Config, deps: { registry: CommandRegistry; rbac: Rbac; audit: AuditLog; metrics: Metrics; log: Logger; redactor: Redactor; clock: Clock; running: RunningConfig; gate?: Gate | undefined }): Router {
  const { gate, running, ...rest } = deps;
  return new Router({
    ...rest,
    ...(gate ? { gate } : {}),
    environmentOf: (t) => running.environmentOf(t),
    commandTimeoutMs: config.bot.commandTimeout,
  });
}

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
import { healthCommands } from '../handlers/health.js';
import { auditCommands } from '../handlers/audit.js';
import { userCommands } from '../handlers/users.js';
import { containerCommands } from '../handlers/containers/index.js';
import { backupCommands } from '../handlers/backup.js';
import { checklistCommands } from '../handlers/checklist.js';
import { alertCommands } from '../handlers/alerts.js';
import type { Operations } from './operations.js';
import type { Alerting } from './alerting.js';
import type { Maintenance } from './maintenance.js';
import { jobCommands, type JobsDeps } from '../handlers/jobs.js';
import type { RunbooksWiring } from './runbooks.js';
import { approvalCommands, type Approvals } from '../handlers/approvals.js';

/** RBAC over the configured people and roles: one instance for the router and `whoami`. */
export function createRbac(config: Config, grant?: AccessGrant): Rbac {
  return new Rbac(config.rbac, { people: new People(config.people), ...(grant ? { grant } : {}) });
}

export function registerCommands(config: Config, deps: { audit: AuditLog; redactor: Redactor; ops: Operations; alerting: Alerting; rbac: Rbac; maintenance: Maintenance; jobs: JobsDeps; runbooks: RunbooksWiring; approvals: Approvals }): CommandRegistry {
  const { audit, redactor, ops, alerting, rbac } = deps;
  const alertTargets = new AlertTargets(config.alerting.targetLabels, () => Object.keys(config.targets));
  const { probeTargets, probeServices, backups, userDirectories } = ops;
  const checkTimeoutMs = config.bot.checkTimeout;
  const registry = new CommandRegistry();
  registry.register(
    ...helpCommands(() => registry.all()),
    ...whoamiCommands({ rbac, listCommands: () => registry.all() }),
    ...healthCommands({ targets: probeTargets, checkTimeoutMs, probeServices }),
    ...auditCommands(audit),
    ...userCommands({
      directory: (t) => userDirectories.get(t),
      targets: () => Object.keys(config.targets),
      directoryTargets: () => userDirectories.targets(),
    }),
    ...containerCommands({ targets: probeTargets, docker: ops.docker, restarts: ops.restarts, redactor, checkTimeoutMs, services: ops.services, logFiles: ops.logFiles }),
    ...backupCommands({ targets: config.targets, backups }),
    ...checklistCommands({ targets: probeTargets, checkTimeoutMs, probeServices, backups, openAlerts: () => alerting.alerts.listOpen(200), alertTargets }),
    ...alertCommands({ service: alerting.alerts, targets: alertTargets, ...(alerting.alertmanager ? { alertmanager: alerting.alertmanager } : {}) }),
    ...deps.maintenance.commands,
    ...jobCommands(deps.jobs),
    ...deps.runbooks.commands,
    ...approvalCommands(deps.approvals),
  );
  return registry;
}

export function createRouter(config: Config, deps: { registry: CommandRegistry; rbac: Rbac; audit: AuditLog; metrics: Metrics; log: Logger; redactor: Redactor; clock: Clock; gate?: Gate | undefined }): Router {
  const { gate, ...rest } = deps;
  return new Router({
    ...rest,
    ...(gate ? { gate } : {}),
    environmentOf: (t) => config.targets[t]?.environment,
    commandTimeoutMs: config.bot.commandTimeout,
  });
}

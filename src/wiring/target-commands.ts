/**
 * The command families that hold a target's drivers (health, checklist, user, status / restart /
 * logs, backup), built over one `Operations`. A config reload that changes `targets` or `hosts`
 * builds them again over new Operations and swaps them into the registry (reload/target-services.ts).
 */
import type { Config } from '../config/schema.js';
import type { AnyCommand } from '../core/command.js';
import type { Redactor } from '../core/redact.js';
import type { AlertService } from '../core/alerts/service.js';
import type { AlertTargets } from '../core/alerts/targets.js';
import { healthCommands } from '../handlers/health.js';
import { userCommands } from '../handlers/users.js';
import { containerCommands } from '../handlers/containers/index.js';
import { backupCommands } from '../handlers/backup.js';
import { checklistCommands } from '../handlers/checklist.js';
import type { Operations } from './operations.js';

/** Each family apart, so the registry keeps its order (help lists them where they always were). */
export interface TargetCommandFamilies {
  health: AnyCommand[];
  user: AnyCommand[];
  containers: AnyCommand[];
  backup: AnyCommand[];
  checklist: AnyCommand[];
}

/** `alertTargets` reads the running config's target labels and names (one for every generation). */
export function targetCommands(config: Config, deps: { ops: Operations; redactor: Redactor; alerts: Pick<AlertService, 'listOpen'>; alertTargets: AlertTargets }): TargetCommandFamilies {
  const { ops, redactor } = deps;
  const { probeTargets, probeServices, backups, userDirectories } = ops;
  const checkTimeoutMs = config.bot.checkTimeout;
  const { alertTargets } = deps;
  return {
    health: healthCommands({ targets: probeTargets, checkTimeoutMs, probeServices }),
    user: userCommands({
      directory: (t) => userDirectories.get(t),
      targets: () => Object.keys(config.targets),
      directoryTargets: () => userDirectories.targets(),
    }),
    containers: containerCommands({ targets: probeTargets, docker: ops.docker, restarts: ops.restarts, redactor, checkTimeoutMs, services: ops.services, logFiles: ops.logFiles }),
    backup: backupCommands({ targets: config.targets, backups }),
    checklist: checklistCommands({ targets: probeTargets, checkTimeoutMs, probeServices, backups, openAlerts: () => deps.alerts.listOpen(200), alertTargets }),
  };
}

/** Every command of the families, in their registry order. */
export function allTargetCommands(f: TargetCommandFamilies): AnyCommand[] {
  return [...f.health, ...f.user, ...f.containers, ...f.backup, ...f.checklist];
}

/**
 * Container commands: `status [target]` (the `docker-compose ps` of a target), `restart <target>`
 * (locked per container set in ops, waits until healthy) and `logs <target> [--lines N] [--grep TEXT] [--since DURATION]`.
 */
import type { Config } from '../../config/schema.js';
import type { Redactor } from '../../core/redact.js';
import type { DockerService } from '../../ops/docker/index.js';
import type { ContainerRestarts } from '../../ops/container-restart/index.js';
import { statusCommand } from './status.js';
import { restartCommand } from './restart.js';
import { logsCommand } from './logs.js';
import type { ServiceAccess } from './services.js';
import type { LogFiles } from '../../ops/logfiles/index.js';

export type { ServiceAccess } from './services.js';

export { restartChecks, selectorOf } from './config.js';
export { LOG_TEXT_MAX, renderLogLines } from './log-text.js';
export { GREP_SCAN_LINES } from './logs.js';

export interface ContainerDeps {
  targets: Config['targets'];
  docker: DockerService;
  restarts: ContainerRestarts;
  redactor: Redactor;
  checkTimeoutMs: number;
  /** Targets whose service runs under systemd, pm2 or supervisor (their `manager:`). */
  services?: ServiceAccess | undefined;
  /** Targets' log files on disk (`logFiles:`), for `logs --file`. */
  logFiles?: LogFiles | undefined;
}

export function containerCommands(deps: ContainerDeps) {
  return [statusCommand(deps), restartCommand(deps), logsCommand(deps)];
}

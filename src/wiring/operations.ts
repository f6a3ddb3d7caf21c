/** The services that operate real systems (ops/): Docker, restarts, backups, user directories, probes. */
import type { Config } from '../config/schema.js';
import type { Env } from '../config/env.js';
import type { Store } from '../core/store/index.js';
import type { Coordination } from '../core/coordination/types.js';
import { DockerService } from '../ops/docker/index.js';
import { ContainerRestarts } from '../ops/container-restart/index.js';
import { BackupCatalog } from '../ops/backup/catalog.js';
import { BackupService } from '../ops/backup/service/index.js';
import { createEngines } from '../ops/backup/engines.js';
import { UserDirectories } from '../ops/users/open.js';
import { withAlertmanagerDefault } from '../ops/probes/alerts.js';
import type { ProbeServices } from '../ops/probes/index.js';
import { selectorOf } from '../handlers/containers/index.js';

export interface Operations {
  docker: DockerService;
  restarts: ContainerRestarts;
  backups: BackupService;
  userDirectories: UserDirectories;
  probeServices: ProbeServices;
  /** The configured targets, with `alerts` checks defaulting to ALERTMANAGER_URL. */
  probeTargets: Config['targets'];
}

/**
 * `toolPath`: the PATH external tools (pg_dump, mongodump) run with. `serving`: whether this
 * process serves HTTP (checks marked `self: true` are skipped when it does not).
 */
export function wireOperations(
  config: Config,
  env: Env,
  state: { store: Store; coordination: Coordination },
  host: { toolPath: string | undefined; serving: () => boolean },
): Operations {
  const { toolPath } = host;
  const { store, coordination } = state;
  const docker = new DockerService({ defaultHost: env.DOCKER_HOST });
  const backups = new BackupService({
    jobs: Object.fromEntries(Object.entries(config.targets).map(([name, t]) => [name, t.backups])),
    catalog: BackupCatalog.of(store),
    coordination,
    engines: createEngines(),
    toolPath,
  });
  const probeServices: ProbeServices = {
    docker: {
      service: docker,
      containerOf: (t) => { const c = config.targets[t]?.container; return c ? selectorOf(c) : undefined; },
    },
    backups,
    self: { serving: host.serving },
  };
  return {
    docker,
    restarts: new ContainerRestarts({ docker, coordination, probeServices }),
    backups,
    userDirectories: UserDirectories.fromConfig(config.targets),
    probeServices,
    probeTargets: withAlertmanagerDefault(config.targets, env.ALERTMANAGER_URL),
  };
}

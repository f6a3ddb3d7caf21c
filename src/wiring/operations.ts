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
import { selectorOf, type ServiceAccess } from '../handlers/containers/index.js';
import { hostSecrets } from '../config/host-secrets.js';
import { Hosts, LocalExec } from '../ops/hosts/index.js';
import { DockerManager, openManager, ServiceRestarts, type ServiceManager } from '../ops/services/index.js';
import { UserError } from '../core/errors.js';
import { LogFiles } from '../ops/logfiles/index.js';
import { offsiteStores } from '../ops/backup/offsite/index.js';

export interface Operations {
  docker: DockerService;
  restarts: ContainerRestarts;
  backups: BackupService;
  userDirectories: UserDirectories;
  probeServices: ProbeServices;
  /** The configured targets, with `alerts` checks defaulting to ALERTMANAGER_URL. */
  probeTargets: Config['targets'];
  /** This host and the SSH hosts of `hosts:`. */
  hosts: Hosts;
  /** Targets whose service runs under systemd, pm2 or supervisor, for status / restart / logs. */
  services: ServiceAccess;
  /** Targets' log files on disk, here or on SSH hosts. */
  logFiles: LogFiles;
  /** Closes what these services hold open (user-directory database clients). */
  close(): Promise<void>;
}

/** One ServiceManager per target with a `manager:` (or a container, as Docker), made on first use. */
function serviceManagers(config: Config, hosts: Hosts, docker: DockerService) {
  const made = new Map<string, ServiceManager | undefined>();
  return (target: string): ServiceManager | undefined => {
    if (made.has(target)) return made.get(target);
    const t = config.targets[target];
    let m: ServiceManager | undefined;
    if (t?.manager && t.manager.kind !== 'docker') m = openManager(t.manager, hosts);
    else if (t?.container) m = new DockerManager(docker, selectorOf(t.container), t.container.stopTimeout);
    made.set(target, m);
    return m;
  };
}

/** The SSH host a target's service manager runs on, if any. */
function managerHostOf(config: Config, target: string | undefined): string | undefined {
  const m = target ? config.targets[target]?.manager : undefined;
  return m && 'host' in m ? m.host : undefined;
}

/**
 * `toolPath`: the PATH external tools (pg_dump, mongodump) run with. `serving`: whether this
 * process serves HTTP (checks marked `self: true` are skipped when it does not). `secretEnv`: the
 * environment the SSH keys of `hosts:` (privateKeyEnv, passphraseEnv) are read from.
 */
export function wireOperations(
  config: Config,
  env: Env,
  state: { store: Store; coordination: Coordination },
  host: { toolPath: string | undefined; serving: () => boolean; secretEnv?: NodeJS.ProcessEnv },
): Operations {
  const { toolPath } = host;
  const { store, coordination } = state;
  const hosts = new Hosts(new LocalExec(), config.hosts, hostSecrets(config.hosts, host.secretEnv));
  const docker = new DockerService({ defaultHost: env.DOCKER_HOST, tunnels: hosts });
  const managerOf = serviceManagers(config, hosts, docker);
  const backups = new BackupService({
    serviceOf: managerOf,
    jobs: Object.fromEntries(Object.entries(config.targets).map(([name, t]) => [name, t.backups])),
    catalog: BackupCatalog.of(store),
    coordination,
    engines: createEngines({ hosts }),
    toolPath,
    offsite: offsiteStores(host.secretEnv ?? {}),
  });
  const logFiles = new LogFiles(Object.fromEntries(Object.entries(config.targets).map(([name, t]) => [name, t.logFiles ?? []])), hosts);
  const probeServices: ProbeServices = {
    logFiles,
    hosts: {
      execFor: (target, host) => {
        const name = host ?? managerHostOf(config, target);
        return name ? hosts.get(name) : undefined;
      },
    },
    docker: {
      service: docker,
      containerOf: (t) => { const c = config.targets[t]?.container; return c ? selectorOf(c) : undefined; },
    },
    backups,
    self: { serving: host.serving },
  };
  const userDirectories = UserDirectories.fromConfig(config.targets);
  return {
    docker,
    restarts: new ContainerRestarts({ docker, coordination, probeServices }),
    backups,
    userDirectories,
    probeServices,
    probeTargets: withAlertmanagerDefault(config.targets, env.ALERTMANAGER_URL),
    hosts,
    logFiles,
    services: {
      managerOf: (target) => {
        const m = managerOf(target);
        if (!m) throw new UserError('invalid', `Target "${target}" has no service manager configured`);
        return m;
      },
      restarts: new ServiceRestarts({ coordination, probeServices }),
    },
    close: () => userDirectories.close(),
  };
}

/** From a target's `manager:` config to its ServiceManager on the right host. */
import type { HostServiceConfig } from '../../config/services-schema.js';
import type { Clock } from '../../core/clock.js';
import type { Hosts } from '../hosts/index.js';
import { Pm2Manager } from './pm2.js';
import { SupervisorManager } from './supervisor.js';
import { SystemdManager } from './systemd.js';
import type { ServiceManager } from './types.js';

export function openManager(cfg: HostServiceConfig, hosts: Hosts, clock?: Clock): ServiceManager {
  const host = hosts.get(cfg.host);
  switch (cfg.kind) {
    case 'systemd': return new SystemdManager(cfg, host);
    case 'pm2': return new Pm2Manager(cfg, host);
    case 'supervisor': return new SupervisorManager(cfg, host, clock);
  }
}

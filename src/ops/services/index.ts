/** Service managers behind one interface: Docker, systemd, pm2 and supervisor, on this host or over SSH. */
export type { LogQuery, ManagerKind, ServiceManager, ServiceState } from './types.js';
export { DockerManager, stateOfContainer } from './docker.js';
export { SystemdManager, journalctlArgv, parseJournal, parseShow, parseSystemdTime, stateOfShow, systemctlArgv } from './systemd.js';
export { Pm2Manager, parseJlist, pm2Argv, stateOfApp } from './pm2.js';
export { SupervisorManager, parseStatusLine, parseUptime, supervisorctlArgv } from './supervisor.js';
export { restartService, type ServiceRestartOutcome, type ServiceRestartPlan } from './restart.js';
export { ServiceRestarts, type ServiceRestartResult } from './service.js';
export { openManager } from './open.js';

/** Restarting a target's containers: the restart itself and the service that holds its lock. */
export { RESTART_IGNORED_KINDS, restartContainers, type ContainerRestart, type RestartOutcome, type RestartPlan } from './restart.js';
export { ContainerRestarts, MAX_RESTART_CONTAINERS, RESTART_LOCK_TTL_MS, restartLockKey, serviceRestartLockKey, type ContainerRestartsDeps, type RestartResult } from './service.js';

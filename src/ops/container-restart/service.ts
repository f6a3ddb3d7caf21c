/**
 * `ContainerRestarts`: one restart of a target's containers at a time per container set, across
 * replicas and processes. Takes the restart lock, keeps it renewed while the restart runs (and
 * stops waiting when it is lost), restarts the containers in turn and frees the lock. Knows
 * nothing of chat: the handler turns the result into a reply.
 */
import type { Clock } from '../../core/clock.js';
import type { Coordination } from '../../core/coordination/types.js';
import { UserError } from '../../core/errors.js';
import { describeSelector, type ContainerInfo, type ContainerSelector, type DockerService } from '../docker/index.js';
import { HeldLock } from '../held-lock.js';
import type { ProbeServices } from '../probes/index.js';
import { restartContainers, type RestartOutcome, type RestartPlan } from './restart.js';

/** Containers one `restart` restarts at most (one at a time, each waited for). */
export const MAX_RESTART_CONTAINERS = 10;

/** How long the restart lock lives without a renewal; it is renewed every third of this. */
export const RESTART_LOCK_TTL_MS = 60_000;

export interface ContainerRestartsDeps {
  docker: DockerService;
  coordination: Coordination;
  probeServices?: ProbeServices;
  clock?: Clock;
  lockTtlMs?: number;
}

export interface RestartResult extends RestartOutcome {
  /** The containers found before the restart, in the order they were restarted. */
  before: ContainerInfo[];
  /** The lock was lost while the restart ran (another process took it): opsbot stopped waiting. */
  lockLost: boolean;
}

/** One lock per container set (host + name or project/service): two targets naming the same container share it. */
export function restartLockKey(docker: DockerService, sel: ContainerSelector): string {
  return `restart:${docker.hostOf(sel)}:${sel.name ? sel.name.replace(/^\//, '') : `${sel.project ?? '*'}/${sel.service}`}`;
}

/** The same lock namespace for a service under systemd, pm2 or supervisor: one restart of it at a time. */
export function serviceRestartLockKey(host: string, kind: string, name: string): string {
  return `restart:${host}:${kind}:${name}`;
}

export class ContainerRestarts {
  constructor(private readonly deps: ContainerRestartsDeps) {}

  /**
   * Restarts the plan's containers under the restart lock. Throws a `conflict` UserError when a
   * restart of the same containers is already running, `not_found` when there are none and
   * `invalid` when there are more than MAX_RESTART_CONTAINERS.
   */
  async restart(plan: RestartPlan, opts: { signal: AbortSignal; log?: { info(obj: object, msg: string): void } }): Promise<RestartResult> {
    const { docker } = this.deps;
    const { sel } = plan;
    const lock = await HeldLock.take(this.deps.coordination, restartLockKey(docker, sel), {
      ttlMs: this.deps.lockTtlMs ?? RESTART_LOCK_TTL_MS,
      ...(this.deps.clock ? { clock: this.deps.clock } : {}),
    });
    if (!lock) throw new UserError('conflict', `A restart of ${plan.target} (${describeSelector(sel)}) is already running; wait for it to finish.`);
    try {
      const signal = AbortSignal.any([opts.signal, lock.signal]);
      const before = await docker.list(sel, signal);
      if (before.length === 0) throw new UserError('not_found', `No container found for ${describeSelector(sel)} on ${docker.hostOf(sel)}.`);
      if (before.length > MAX_RESTART_CONTAINERS) {
        throw new UserError('invalid', `${describeSelector(sel)} has ${before.length} containers; restart restarts at most ${MAX_RESTART_CONTAINERS} one after another. Narrow the target (project or name).`);
      }
      opts.log?.info({ target: plan.target, containers: before.map((b) => b.name) }, 'restarting containers');
      const outcome = await restartContainers(docker, plan, before, signal, this.deps.probeServices);
      return { ...outcome, before, lockLost: lock.isLost };
    } finally {
      await lock.release();
    }
  }
}

/**
 * `ServiceRestarts`: one restart of a service at a time across replicas and processes, under the
 * same restart lock as containers (ops/container-restart), renewed while the restart runs.
 */
import type { Clock } from '../../core/clock.js';
import type { Coordination } from '../../core/coordination/types.js';
import { UserError } from '../../core/errors.js';
import { RESTART_LOCK_TTL_MS, serviceRestartLockKey } from '../container-restart/index.js';
import { HeldLock } from '../held-lock.js';
import type { ProbeServices } from '../probes/index.js';
import { restartService, type ServiceRestartOutcome, type ServiceRestartPlan } from './restart.js';

export interface ServiceRestartResult extends ServiceRestartOutcome {
  lockLost: boolean;
}

export class ServiceRestarts {
  constructor(private readonly deps: { coordination: Coordination; probeServices?: ProbeServices; clock?: Clock; lockTtlMs?: number }) {}

  async restart(plan: ServiceRestartPlan, opts: { signal: AbortSignal; log?: { info(obj: object, msg: string): void } }): Promise<ServiceRestartResult> {
    const m = plan.manager;
    const lock = await HeldLock.take(this.deps.coordination, serviceRestartLockKey(m.host, m.kind, m.name), {
      ttlMs: this.deps.lockTtlMs ?? RESTART_LOCK_TTL_MS,
      ...(this.deps.clock ? { clock: this.deps.clock } : {}),
    });
    if (!lock) throw new UserError('conflict', `A restart of ${plan.target} (${m.describe()}) is already running; wait for it to finish.`);
    try {
      opts.log?.info({ target: plan.target, manager: m.kind, service: m.name, host: m.host }, 'restarting service');
      const out = await restartService(plan, AbortSignal.any([opts.signal, lock.signal]), this.deps.probeServices, this.deps.clock);
      return { ...out, lockLost: lock.isLost };
    } finally {
      await lock.release();
    }
  }
}

/**
 * Posting to a job's channel: only a job that has one, and not while the target its command acts
 * on is under maintenance (then the job stays quiet, and says so in the log).
 */
import type { Reply } from '../reply.js';
import type { JobDefinition } from './types.js';
import type { SchedulerDeps } from './ports.js';

export class JobChannel {
  constructor(private readonly deps: Pick<SchedulerDeps, 'outbox' | 'targetOf' | 'maintenance' | 'clock' | 'log'>) {}

  /** Posts the message to the job's channel (one message per key), if the job may post now. */
  async post(def: JobDefinition, key: string, message: Reply): Promise<void> {
    if (await this.mayPost(def)) await this.deps.outbox.enqueue(key, def.channel as string, message);
  }

  /** The job has a channel, and its target is not under maintenance. */
  private async mayPost(def: JobDefinition): Promise<boolean> {
    if (!def.channel) return false;
    const target = this.deps.targetOf?.(def.run);
    const window = target ? await this.deps.maintenance?.activeFor(target, this.deps.clock.date()) : undefined;
    if (window) this.deps.log.info({ job: def.name, target, maintenance: window.id }, `job ${def.name}: ${target} is under maintenance; nothing posted`);
    return !window;
  }
}

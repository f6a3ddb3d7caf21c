/**
 * Posting a run's living message through the outbox: the progress list (one outbox document per
 * channel, updated in place) and, for a step, its result in the message's thread. A message that
 * cannot be queued is logged; it never stops the run.
 */
import type { Clock } from '../clock.js';
import type { Logger } from 'pino';
import type { RouterResult } from '../invocation.js';
import { errorMessage } from '../errors.js';
import { progressReply, stepReply } from './progress.js';
import type { RunRecord } from './run.js';
import type { RunOutbox } from './ports.js';

export class LivingMessage {
  constructor(private readonly outbox: RunOutbox, private readonly clock: Clock, private readonly log: Logger) {}

  /** Shows the run as it is now in each of its channels, and step `i`'s result in the thread. */
  async publish(run: RunRecord, i?: number, result?: RouterResult): Promise<void> {
    const now = this.clock.now();
    for (const ch of run.channels) {
      const key = `rb:${run._id}:${ch}`;
      try {
        await this.outbox.enqueue(key, ch, progressReply(run, now));
        if (i !== undefined) await this.outbox.enqueue(`${key}:s${i + 1}`, ch, stepReply(run, i, result, now), { kind: 'reply', parent: key });
      } catch (e) {
        this.log.warn({ err: e, run: run._id, channel: ch }, `runbook message not queued: ${errorMessage(e)}`);
      }
    }
  }
}

/**
 * Sending one item through its gateway, and what a failure does: a 429 holds the whole channel
 * for its Retry-After, a retryable error backs off, a final error (or too many) marks it dead.
 */
import type { Logger } from 'pino';
import { ChatDeliveryError, type MessageRef } from '../chat.js';
import type { Clock } from '../clock.js';
import { retryDelay, type RetryPolicy } from '../delivery.js';
import { errorMessage } from '../errors.js';
import type { Lane } from './lane.js';
import type { LaneHolds } from './lane-holds.js';
import type { OutboxQueue } from './queue.js';
import { splitChannel, type OutboxGateway, type OutboxItem, type OutboxMetrics } from './types.js';

/** A thread reply whose root is not posted yet waits this long. */
const PARENT_WAIT_MS = 200;

export interface SenderOptions {
  queue: OutboxQueue;
  /** Where a channel's Retry-After is kept, so a restart waits out the rest of it. */
  holds: LaneHolds;
  clock: Clock;
  log: Logger;
  metrics?: OutboxMetrics;
  retry?: RetryPolicy;
  maxAttempts?: number;
  onDelivered?: (item: OutboxItem) => void | Promise<void>;
  /** Called (awaited) after an item was given up on for good, with the error that ended it. */
  onDead?: (item: OutboxItem, error: unknown) => void | Promise<void>;
}

export class Sender {
  constructor(private readonly o: SenderOptions) {}

  async deliver(item: OutboxItem, gateway: OutboxGateway, surface: string, lane: Lane): Promise<void> {
    const { channel } = splitChannel(item.channel);
    const { queue, clock } = this.o;
    let ref: MessageRef | undefined = item.ref;
    try {
      if (ref) {
        // Posted already (a message, or a thread reply whose content changed since): updated in place.
        await gateway.update(ref, item.reply);
      } else if (item.kind === 'reply') {
        const parent = item.parent ? await queue.get(item.parent) : null;
        if (parent && !parent.ref && parent.state === 'pending') {
          // The thread root is not posted yet: it goes first (it was queued earlier).
          await queue.change(item._id, (cur) => ({ ...cur, due: new Date(clock.now() + PARENT_WAIT_MS) }));
          return;
        }
        const thread = parent?.ref ? (parent.ref.thread ?? parent.ref.id) : undefined;
        ref = await gateway.post(channel, item.reply, thread ? { thread } : undefined);
      } else {
        ref = await gateway.post(channel, item.reply);
      }
    } catch (e) {
      await this.failed(item, e, surface, lane);
      return;
    }
    const sentAt = clock.date();
    await queue.markSent(item, ref, sentAt);
    this.o.metrics?.delivered(surface, (sentAt.getTime() - item.enqueuedAt.getTime()) / 1000);
    try {
      await this.o.onDelivered?.({ ...item, ...(ref ? { ref } : {}), sentAt });
    } catch (e) {
      this.o.log.warn({ err: e, key: item._id }, 'delivery callback failed');
    }
  }

  private async failed(item: OutboxItem, e: unknown, surface: string, lane: Lane): Promise<void> {
    const { queue, clock, log } = this.o;
    const code = e instanceof ChatDeliveryError ? String(e.code) : ((e as NodeJS.ErrnoException)?.code ?? 'network');
    this.o.metrics?.failed(surface, code);
    const message = errorMessage(e).slice(0, 300);
    if (e instanceof ChatDeliveryError && e.retryAfterMs !== undefined) {
      // Rate limited: the whole channel waits; the item keeps its place and its attempt count.
      lane.blockedUntil = clock.now() + e.retryAfterMs;
      log.warn({ channel: item.channel, retryAfterMs: e.retryAfterMs }, 'chat API rate limit: waiting');
      try {
        await this.o.holds.hold(item.channel, lane.blockedUntil);
      } catch (err) {
        // The wait still holds in this process; only a restart during it would not know of it.
        log.warn({ err, channel: item.channel }, 'could not store the Retry-After wait');
      }
      await queue.change(item._id, (cur) => ({ ...cur, lastError: message }));
      return;
    }
    const attempts = item.attempts + 1;
    const delay = attempts < (this.o.maxAttempts ?? 100) ? retryDelay(e, Math.min(attempts, 12), this.o.retry) : undefined;
    if (delay === undefined) {
      log.error({ channel: item.channel, key: item._id, code, err: message }, 'chat delivery failed for good');
      if (!(await queue.markDead(item, attempts, message))) return;
      try {
        await this.o.onDead?.({ ...item, state: 'dead', attempts, lastError: message }, e);
      } catch (err) {
        log.warn({ err, key: item._id }, 'callback for a message given up on failed');
      }
      return;
    }
    log.warn({ channel: item.channel, key: item._id, code, attempts, delayMs: delay }, 'chat delivery failed: retrying');
    await queue.change(item._id, (cur) => ({ ...cur, attempts, due: new Date(clock.now() + delay), lastError: message }));
  }
}

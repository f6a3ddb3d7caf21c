/**
 * The durable chat outbox. Every alert post and update is a document keyed by the message it
 * writes (`g:a1b2:slack:C1`); enqueuing again replaces the pending content, so a message with
 * several pending updates is sent once, in its latest state. One lane per channel sends in order
 * at the channel's rate (coordination rate limit), waits out a 429's Retry-After for the whole
 * channel, backs off on 5xx and network errors (src/core/delivery.ts), and gives up only on a
 * final 4xx (an item given up on is kept as `dead` and reported to the `onDead` listeners).
 * Pending documents survive a restart: `start()` resumes every lane.
 *
 * Delivery is at-least-once: a crash between the chat API's answer and saving it re-sends that
 * one call after restart (an update is harmless; a first post may appear twice).
 */
import { systemClock, type Clock } from '../clock.js';
import type { Reply } from '../reply.js';
import { Lane, LaneLock } from './lane.js';
import { LaneHolds } from './lane-holds.js';
import { OutboxQueue } from './queue.js';
import { Sender } from './sending.js';
import { splitChannel, type DeadListener, type EnqueueOptions, type OutboxItem, type OutboxOptions } from './types.js';

const GATEWAY_WAIT_MS = 1000;
const LANE_LOCK_MS = 30_000;
/** How often `idle()` looks (wall time: it waits for this process's own work, not for due dates). */
const IDLE_POLL_MS = 20;

export class Outbox {
  private readonly queue: OutboxQueue;
  private readonly holds: LaneHolds;
  private readonly sender: Sender;
  private readonly clock: Clock;
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Promise<void>>();
  private readonly waitingFor = new Map<string, string>();
  private started = false;
  private stopped = false;
  private readonly deadListeners: DeadListener[] = [];

  /** Per-channel write rate (a config reload may change it: `setRate`). */
  private rate: OutboxOptions['rate'];

  constructor(private readonly opts: OutboxOptions) {
    this.rate = opts.rate;
    this.clock = opts.clock ?? systemClock;
    this.queue = new OutboxQueue(opts.store, opts.collection ?? 'outbox', this.clock);
    this.holds = new LaneHolds(opts.store, `${opts.collection ?? 'outbox'}_lanes`);
    this.sender = new Sender({
      queue: this.queue, holds: this.holds, clock: this.clock, log: opts.log,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
      ...(opts.onDelivered ? { onDelivered: opts.onDelivered } : {}),
      onDead: (item, error) => this.reportDead(item, error),
    });
  }

  /**
   * Hears of every item given up on for good (a final 4xx, or too many failures), with the error
   * that ended it: escalations turn a refused direct message into a mention in the channel.
   * Called in the sending lane, awaited; one that throws is logged and the others still run.
   */
  onDead(listener: DeadListener): void {
    this.deadListeners.push(listener);
  }

  private async reportDead(item: OutboxItem, error: unknown): Promise<void> {
    for (const listen of this.deadListeners) {
      try {
        await listen(item, error);
      } catch (e) {
        this.opts.log.error({ err: e, key: item._id }, 'a listener for messages given up on failed');
      }
    }
  }

  /** A new per-channel write rate (a config reload): the next call on every channel is spaced by it. */
  setRate(rate: OutboxOptions['rate']): void {
    this.rate = rate;
  }

  /** Resumes every channel with pending deliveries (after a restart). */
  async start(): Promise<void> {
    await this.queue.init();
    this.started = true;
    for (const ch of await this.queue.pendingChannels()) this.kick(ch);
  }

  /** Stops sending; what is pending stays in the store for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) lane.wake();
    await Promise.allSettled([...this.running]);
  }

  /**
   * Queues the content of one chat message. A later call with the same key replaces content that
   * is not sent yet (or updates the sent message); content rendered from an older `sourceVersion`
   * than what is queued is dropped.
   */
  async enqueue(key: string, channel: string, reply: Reply, opts: EnqueueOptions = {}): Promise<void> {
    if (await this.queue.enqueue(key, channel, reply, opts)) this.kick(channel);
  }

  get(key: string): Promise<OutboxItem | null> {
    return this.queue.get(key);
  }

  pendingCount(filter: Record<string, unknown> = {}): Promise<number> {
    return this.queue.pendingCount(filter);
  }

  depthBySurface(): Promise<Map<string, number>> {
    return this.queue.depthBySurface();
  }

  deadCount(): Promise<number> {
    return this.queue.deadCount();
  }

  /** Why deliveries are waiting (a surface that is not connected), or undefined. */
  waitingReason(): string | undefined {
    if (this.waitingFor.size === 0) return undefined;
    return [...this.waitingFor.entries()].map(([s, why]) => `deliveries to ${s} are waiting: ${why}`).join('; ');
  }

  /** Settles when no lane has anything pending that is due (tests, benchmarks). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.pendingCount()) > 0 || this.running.size > 0) {
      if (Date.now() > deadline) throw new Error('outbox did not drain in time');
      await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
    }
  }

  private kick(channel: string): void {
    if (!this.started || this.stopped) return;
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = new Lane(this.clock);
      this.lanes.set(channel, lane);
    }
    if (lane.running) {
      lane.wake();
      return;
    }
    lane.running = true;
    const l = lane;
    const p = this.runLane(channel, l)
      .catch((e) => this.opts.log.error({ err: e, channel }, 'outbox lane failed'))
      .finally(() => {
        l.running = false;
        this.running.delete(p);
        // Something may have been queued while the lane was finishing.
        if (!this.stopped) void this.queue.pendingCount({ channel }).then((n) => { if (n > 0 && !l.running) this.kick(channel); }, () => undefined);
      });
    this.running.add(p);
  }

  private async runLane(channel: string, lane: Lane): Promise<void> {
    // One sender per channel across replicas: the lane holds the channel's lock while it runs.
    const lock = new LaneLock(this.opts.coordination, `outbox:lane:${channel}`, this.opts.laneLockMs ?? LANE_LOCK_MS, this.clock);
    try {
      // A Retry-After from before a restart (or from the replica that sent here before) still holds.
      lane.blockedUntil = Math.max(lane.blockedUntil, await this.holds.blockedUntil(channel));
      await this.laneLoop(channel, lane, lock);
    } finally {
      await lock.release();
    }
  }

  private async laneLoop(channel: string, lane: Lane, lock: LaneLock): Promise<void> {
    const { surface } = splitChannel(channel);
    while (!this.stopped) {
      const hold = await lock.hold();
      if (hold === 'lost') {
        this.opts.log.warn({ channel }, 'outbox lane lost its lock: stopping (another replica may send on this channel)');
        return;
      }
      if (hold === 'busy') {
        // Another replica sends on this channel; check again when its lock would have expired.
        await lane.sleep(this.opts.laneLockMs ?? LANE_LOCK_MS);
        continue;
      }
      const now = this.clock.now();
      const item = await this.queue.nextDue(channel, new Date(now));
      if (!item) {
        const next = await this.queue.nextPending(channel);
        if (!next) return;
        await lane.sleep(next.due.getTime() - now);
        continue;
      }
      if (lane.blockedUntil > now) {
        await lane.sleep(lane.blockedUntil - now);
        continue;
      }
      const gateway = this.opts.gateways.get(surface);
      const notReady = gateway ? gateway.notReadyReason?.() : `surface ${surface} is not connected`;
      if (!gateway || notReady) {
        this.waitingFor.set(surface, notReady ?? 'not connected');
        await lane.sleep(GATEWAY_WAIT_MS);
        continue;
      }
      this.waitingFor.delete(surface);
      const { messages, per } = this.rate;
      const spacing = lane.untilFree(now, messages, per);
      if (spacing > 0) {
        await lane.sleep(spacing);
        continue;
      }
      const slot = await this.opts.coordination.rateLimit(`outbox:${channel}`, messages, per);
      if (!slot.allowed) {
        await lane.sleep(slot.retryAfterMs);
        continue;
      }
      lane.called(this.clock.now(), messages);
      await this.sender.deliver(item, gateway, surface, lane);
    }
  }
}

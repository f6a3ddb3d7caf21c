/**
 * The durable chat outbox. Every alert post and update is a document keyed by the message it
 * writes (`g:a1b2:slack:C1`); enqueuing again replaces the pending content, so a message with
 * several pending updates is sent once, in its latest state. One lane per channel sends in order
 * at the channel's rate (coordination rate limit), waits out a 429's Retry-After for the whole
 * channel, backs off on 5xx and network errors (src/core/delivery.ts), and gives up only on a
 * final 4xx. Pending documents survive a restart: `start()` resumes every lane.
 *
 * Delivery is at-least-once: a crash between the chat API's answer and saving it re-sends that
 * one call after restart (an update is harmless; a first post may appear twice).
 */
import type { Logger } from 'pino';
import { ChatDeliveryError, type ChatGateway, type MessageRef } from './chat.js';
import type { Coordination, Lock } from './coordination/types.js';
import { retryDelay, type RetryPolicy } from './delivery.js';
import type { Reply } from './reply.js';
import { isDuplicateKey, type Collection, type Store } from './store/types.js';
import { errorMessage } from './errors.js';

export interface OutboxItem {
  /** The message key: one document per chat message. */
  _id: string;
  /** `<surface>:<channel>`. */
  channel: string;
  /** `message`: post once, then update in place. `reply`: one post in the thread of `parent`. */
  kind: 'message' | 'reply';
  parent?: string;
  reply: Reply;
  version: number;
  state: 'pending' | 'sent' | 'dead';
  due: Date;
  attempts: number;
  /** 0 first; larger numbers wait until the channel has nothing more urgent. */
  priority: number;
  createdAt: Date;
  /** FIFO order within a priority (creation time with a tie-breaker). */
  seq: number;
  enqueuedAt: Date;
  sentAt?: Date;
  ref?: MessageRef;
  lastError?: string;
}

export interface OutboxMetrics {
  delivered(surface: string, seconds: number): void;
  failed(surface: string, code: string): void;
}

/** A gateway, optionally able to say it is not connected (surfaces). */
export type OutboxGateway = ChatGateway & { notReadyReason?(): string | undefined };

export interface OutboxOptions {
  store: Store;
  coordination: Coordination;
  /** Surface name → gateway. A channel whose surface is missing or not ready waits. */
  gateways: Map<string, OutboxGateway>;
  rate: { messages: number; per: number };
  log: Logger;
  metrics?: OutboxMetrics;
  retry?: RetryPolicy;
  /** Final failure after this many retryable errors in a row (429s do not count). */
  maxAttempts?: number;
  /** Called (and awaited: stop() waits for it) after a message is delivered. */
  onDelivered?: (item: OutboxItem) => void | Promise<void>;
  collection?: string;
}

export function splitChannel(address: string): { surface: string; channel: string } {
  const i = address.indexOf(':');
  return i <= 0 ? { surface: address, channel: '' } : { surface: address.slice(0, i), channel: address.slice(i + 1) };
}

class Lane {
  private timer: NodeJS.Timeout | undefined;
  private resolveSleep: (() => void) | undefined;
  private woken = false;
  blockedUntil = 0;
  running = false;

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolveSleep = resolve;
      this.timer = setTimeout(() => {
        this.resolveSleep = undefined;
        resolve();
      }, Math.max(1, ms));
      this.timer.unref?.();
    });
  }

  wake(): void {
    const r = this.resolveSleep;
    if (r) {
      clearTimeout(this.timer);
      this.resolveSleep = undefined;
      r();
    } else {
      this.woken = true;
    }
  }
}

const GATEWAY_WAIT_MS = 1000;
const LANE_LOCK_MS = 30_000;

export class Outbox {
  private readonly c: Collection<OutboxItem>;
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Promise<void>>();
  private readonly waitingFor = new Map<string, string>();
  private ready: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private seq = 0;

  constructor(private readonly opts: OutboxOptions) {
    this.c = opts.store.collection<OutboxItem>(opts.collection ?? 'outbox');
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([
      this.c.createIndex({ state: 1 }),
      this.c.createIndex({ channel: 1 }),
    ]).then(() => undefined);
    return this.ready;
  }

  /** Resumes every channel with pending deliveries (after a restart). */
  async start(): Promise<void> {
    await this.init();
    this.started = true;
    const pending = await this.c.find({ state: 'pending' });
    for (const ch of new Set(pending.map((p) => p.channel))) this.kick(ch);
  }

  /** Stops sending; what is pending stays in the store for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) lane.wake();
    await Promise.allSettled([...this.running]);
  }

  /**
   * Queues the latest content of a message. A message already pending is replaced (coalesced);
   * one already sent is updated in place next; the same content again changes nothing.
   */
  async enqueue(key: string, channel: string, reply: Reply, opts: { kind?: 'message' | 'reply'; parent?: string; priority?: number } = {}): Promise<void> {
    await this.init();
    const now = new Date();
    // Nothing to do when the message already shows (or is about to show) exactly this.
    const current = await this.c.findOne({ _id: key });
    if (current && current.state !== 'dead' && JSON.stringify(current.reply) === JSON.stringify(reply)) return;
    const set = { reply, state: 'pending' as const, enqueuedAt: now, channel };
    // One store write either way: update the existing document, or insert the new one.
    const updated = await this.c.updateOne({ _id: key }, { $set: set, $inc: { version: 1 } });
    if (updated.matched === 0) {
      try {
        await this.c.insertOne({
          _id: key, ...set, version: 1, kind: opts.kind ?? 'message', ...(opts.parent ? { parent: opts.parent } : {}),
          priority: opts.priority ?? 0, createdAt: now, seq: now.getTime() * 1000 + (this.seq++ % 1000), due: now, attempts: 0,
        });
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        await this.c.updateOne({ _id: key }, { $set: set, $inc: { version: 1 } });
      }
    }
    this.kick(channel);
  }

  async get(key: string): Promise<OutboxItem | null> {
    await this.init();
    return this.c.findOne({ _id: key });
  }

  async pendingCount(filter: Record<string, unknown> = {}): Promise<number> {
    await this.init();
    return this.c.countDocuments({ ...filter, state: 'pending' });
  }

  async depthBySurface(): Promise<Map<string, number>> {
    await this.init();
    const out = new Map<string, number>();
    for (const item of await this.c.find({ state: 'pending' })) {
      const s = splitChannel(item.channel).surface;
      out.set(s, (out.get(s) ?? 0) + 1);
    }
    return out;
  }

  async deadCount(): Promise<number> {
    await this.init();
    return this.c.countDocuments({ state: 'dead' });
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
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private kick(channel: string): void {
    if (!this.started || this.stopped) return;
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = new Lane();
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
        if (!this.stopped) void this.c.countDocuments({ channel, state: 'pending' }).then((n) => { if (n > 0 && !l.running) this.kick(channel); }, () => undefined);
      });
    this.running.add(p);
  }

  private async runLane(channel: string, lane: Lane): Promise<void> {
    // One sender per channel across replicas: the lane holds a lock, re-taken before it expires.
    let lock: Lock | null = null;
    let lockedAt = 0;
    try {
      await this.laneLoop(channel, lane, async () => {
        if (lock && Date.now() - lockedAt < LANE_LOCK_MS / 2) return true;
        await lock?.release();
        lock = await this.opts.coordination.tryLock(`outbox:lane:${channel}`, LANE_LOCK_MS);
        lockedAt = Date.now();
        return lock !== null;
      });
    } finally {
      await (lock as Lock | null)?.release();
    }
  }

  private async laneLoop(channel: string, lane: Lane, holdLock: () => Promise<boolean>): Promise<void> {
    const { surface } = splitChannel(channel);
    while (!this.stopped) {
      if (!(await holdLock())) {
        // Another replica sends on this channel; check again when its lock would have expired.
        await lane.sleep(LANE_LOCK_MS);
        continue;
      }
      const now = Date.now();
      const item = await this.c.findOne({ channel, state: 'pending', due: { $lte: new Date(now) } }, { sort: { priority: 1, seq: 1 } });
      if (!item) {
        const next = await this.c.findOne({ channel, state: 'pending' }, { sort: { due: 1 } });
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
      const slot = await this.opts.coordination.rateLimit(`outbox:${channel}`, this.opts.rate.messages, this.opts.rate.per);
      if (!slot.allowed) {
        await lane.sleep(slot.retryAfterMs);
        continue;
      }
      await this.deliver(item, gateway, surface, lane);
    }
  }

  private async deliver(item: OutboxItem, gateway: OutboxGateway, surface: string, lane: Lane): Promise<void> {
    const { channel } = splitChannel(item.channel);
    let ref = item.ref;
    try {
      if (item.kind === 'reply') {
        const parent = item.parent ? await this.c.findOne({ _id: item.parent }) : null;
        if (parent && !parent.ref && parent.state === 'pending') {
          // The thread root is not posted yet: it goes first (it was queued earlier).
          await this.c.updateOne({ _id: item._id }, { $set: { due: new Date(Date.now() + 200) } });
          return;
        }
        const thread = parent?.ref ? (parent.ref.thread ?? parent.ref.id) : undefined;
        ref = await gateway.post(channel, item.reply, thread ? { thread } : undefined);
      } else if (ref) {
        await gateway.update(ref, item.reply);
      } else {
        ref = await gateway.post(channel, item.reply);
      }
    } catch (e) {
      await this.failed(item, e, surface, lane);
      return;
    }
    const sentAt = new Date();
    const done = await this.c.updateOne({ _id: item._id, version: item.version }, { $set: { state: 'sent', sentAt, attempts: 0, ...(ref ? { ref } : {}) }, $unset: { lastError: true } });
    if (done.matched === 0 && ref) await this.c.updateOne({ _id: item._id }, { $set: { ref, attempts: 0 } });
    this.opts.metrics?.delivered(surface, (sentAt.getTime() - item.enqueuedAt.getTime()) / 1000);
    try {
      await this.opts.onDelivered?.({ ...item, ...(ref ? { ref } : {}), sentAt });
    } catch (e) {
      this.opts.log.warn({ err: e, key: item._id }, 'delivery callback failed');
    }
  }

  private async failed(item: OutboxItem, e: unknown, surface: string, lane: Lane): Promise<void> {
    const code = e instanceof ChatDeliveryError ? String(e.code) : ((e as NodeJS.ErrnoException)?.code ?? 'network');
    this.opts.metrics?.failed(surface, code);
    const message = errorMessage(e).slice(0, 300);
    if (e instanceof ChatDeliveryError && e.retryAfterMs !== undefined) {
      // Rate limited: the whole channel waits; the item keeps its place and its attempt count.
      lane.blockedUntil = Date.now() + e.retryAfterMs;
      this.opts.log.warn({ channel: item.channel, retryAfterMs: e.retryAfterMs }, 'chat API rate limit: waiting');
      await this.c.updateOne({ _id: item._id }, { $set: { lastError: message } });
      return;
    }
    const attempts = item.attempts + 1;
    const delay = attempts < (this.opts.maxAttempts ?? 100) ? retryDelay(e, Math.min(attempts, 12), this.opts.retry) : undefined;
    if (delay === undefined) {
      this.opts.log.error({ channel: item.channel, key: item._id, code, err: message }, 'chat delivery failed for good');
      const r = await this.c.updateOne({ _id: item._id, version: item.version }, { $set: { state: 'dead', attempts, lastError: message } });
      if (r.matched === 0) await this.c.updateOne({ _id: item._id }, { $set: { attempts: 0, lastError: message } });
      return;
    }
    this.opts.log.warn({ channel: item.channel, key: item._id, code, attempts, delayMs: delay }, 'chat delivery failed: retrying');
    await this.c.updateOne({ _id: item._id }, { $set: { attempts, due: new Date(Date.now() + delay), lastError: message } });
  }
}

/**
 * The outbox collection: enqueuing (one document per chat message, its pending content replaced
 * by newer content) and every later change of an item, each by compare-and-set on its version.
 */
import type { Clock } from '../clock.js';
import { changeById, compareAndSet, MAX_CAS_TRIES, ConflictError } from '../compare-and-set.js';
import { isDuplicateKey, type Collection, type Store } from '../store/types.js';
import type { Reply } from '../reply.js';
import type { MessageRef } from '../chat.js';
import { splitChannel, type EnqueueOptions, type OutboxItem } from './types.js';

export class OutboxQueue {
  readonly c: Collection<OutboxItem>;
  private ready: Promise<void> | undefined;
  private seq = 0;

  constructor(store: Store, name: string, private readonly clock: Clock) {
    this.c = store.collection<OutboxItem>(name);
  }

  init(): Promise<void> {
    this.ready ??= Promise.all([
      this.c.createIndex({ state: 1 }),
      this.c.createIndex({ channel: 1 }),
      // A lane's next message and its next due time, without sorting every pending item of the channel.
      this.c.createIndex({ channel: 1, state: 1, priority: 1, seq: 1 }),
      this.c.createIndex({ channel: 1, state: 1, due: 1 }),
    ]).then(() => undefined);
    return this.ready;
  }

  /**
   * Queues `reply` as the content of message `key`. False when nothing changed: the message
   * already shows (or is about to show) exactly this, or newer content is queued.
   */
  async enqueue(key: string, channel: string, reply: Reply, opts: EnqueueOptions = {}): Promise<boolean> {
    await this.init();
    for (let i = 0; i < MAX_CAS_TRIES; i++) {
      const now = this.clock.date();
      const cur = await this.c.findOne({ _id: key });
      if (cur && cur.state !== 'dead' && JSON.stringify(cur.reply) === JSON.stringify(reply)) return false;
      if (cur?.sourceVersion !== undefined && opts.sourceVersion !== undefined && cur.sourceVersion > opts.sourceVersion) return false;
      const content = { reply, state: 'pending' as const, enqueuedAt: now, channel, ...(opts.sourceVersion !== undefined ? { sourceVersion: opts.sourceVersion } : {}) };
      if (cur) {
        if ((await compareAndSet(this.c, cur, { ...cur, ...content })) !== 'conflict') return true;
        continue;
      }
      try {
        await this.c.insertOne({
          _id: key, ...content, version: 1, kind: opts.kind ?? 'message', ...(opts.parent ? { parent: opts.parent } : {}),
          priority: opts.priority ?? 0, createdAt: now, seq: now.getTime() * 1000 + (this.seq++ % 1000), due: now, attempts: 0,
        });
        return true;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // someone else created it: read it again
      }
    }
    throw new ConflictError(this.c.name, key, MAX_CAS_TRIES);
  }

  async get(key: string): Promise<OutboxItem | null> {
    await this.init();
    return this.c.findOne({ _id: key });
  }

  /** The next item the channel should send now (most urgent, then oldest). */
  async nextDue(channel: string, now: Date): Promise<OutboxItem | null> {
    // Usually the first pending item in that order is due (only retries wait): one index step, not a sort of every due item.
    const first = await this.c.findOne({ channel, state: 'pending' }, { sort: { priority: 1, seq: 1 } });
    if (!first || first.due <= now) return first;
    return this.c.findOne({ channel, state: 'pending', due: { $lte: now } }, { sort: { priority: 1, seq: 1 } });
  }

  /** The pending item of the channel that falls due first. */
  nextPending(channel: string): Promise<OutboxItem | null> {
    return this.c.findOne({ channel, state: 'pending' }, { sort: { due: 1 } });
  }

  /**
   * The item's content as read was delivered. If it was replaced meanwhile, the new content stays
   * pending (and goes out as an update of the message the delivery created).
   */
  async markSent(item: OutboxItem, ref: MessageRef | undefined, sentAt: Date): Promise<void> {
    const sent: OutboxItem = { ...item, state: 'sent', sentAt, attempts: 0, ...(ref ? { ref } : {}) };
    delete sent.lastError;
    if ((await compareAndSet(this.c, item, sent)) !== 'conflict') return;
    await this.change(item._id, (cur) => ({ ...cur, attempts: 0, ...(ref ? { ref } : {}) }));
  }

  /**
   * Gave up on the item's content as read; newer content queued meanwhile gets a fresh start
   * instead. True when this call left the item dead.
   */
  async markDead(item: OutboxItem, attempts: number, lastError: string): Promise<boolean> {
    if ((await compareAndSet(this.c, item, { ...item, state: 'dead', attempts, lastError })) !== 'conflict') return true;
    await this.change(item._id, (cur) => ({ ...cur, attempts: 0, lastError }));
    return false;
  }

  /** Any other change of one item (due date, attempts, last error), re-applied on conflict. */
  async change(id: string, fn: (cur: OutboxItem) => OutboxItem | undefined): Promise<void> {
    await changeById(this.c, id, fn);
  }

  async pendingCount(filter: Record<string, unknown> = {}): Promise<number> {
    await this.init();
    return this.c.countDocuments({ ...filter, state: 'pending' });
  }

  async pendingChannels(): Promise<string[]> {
    await this.init();
    return [...new Set((await this.c.find({ state: 'pending' })).map((p) => p.channel))];
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
}

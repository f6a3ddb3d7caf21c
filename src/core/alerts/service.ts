/**
 * Alert groups from Alertmanager to chat. `receive()` validates nothing (the HTTP edge did),
 * recognises duplicates, persists the notification in an inbox and returns: the caller answers
 * Alertmanager at once. Notifications that arrive while an inbox write is in flight are written
 * together in the next one (group commit: one store write for many webhooks, each answered only
 * once it is durable). A processor applies inbox entries to the groups (different groups
 * concurrently, one group in order), routes new groups, and queues each channel's message in the
 * durable outbox (or a storm digest). Queuing happens before the group is saved, so a crash in
 * between is repaired by re-applying the inbox entry after restart.
 */
import type { Logger } from 'pino';
import type { AlertingConfig } from '../../config/alerting.js';
import type { Coordination } from '../coordination/types.js';
import type { Collection, Store } from '../store/types.js';
import { isDuplicateKey } from '../store/types.js';
import type { Outbox } from '../outbox.js';
import { newId } from '../ids.js';
import { UserError, errorMessage } from '../errors.js';
import { formatDuration } from '../duration.js';
import { notificationHash, type WebhookPayload } from './payload.js';
import { AlertRouter } from './routing.js';
import {
  acknowledge, applyNotification, newGroup, resolveByHand, shortIdCandidates, silence, stateOf,
  type AlertGroup, type GroupState,
} from './group.js';
import { renderDigest, renderGroup, renderResolvedNote } from './render.js';
import { DigestBook, type Digest } from './storm.js';
import type { AlertMetrics } from './metrics.js';

interface InboxEntry {
  hash: string;
  payload: WebhookPayload;
}

/** As stored: the payload as JSON text (the embedded store copies and serialises text cheaply). */
interface StoredEntry {
  hash: string;
  json: string;
}

/** One inbox write: the notifications accepted together. */
interface InboxDoc {
  _id: string;
  seq: number;
  receivedAt: Date;
  entries: StoredEntry[];
}

interface Waiting extends InboxEntry {
  resolve(): void;
  reject(e: unknown): void;
}

export interface AlertServiceOptions {
  store: Store;
  coordination: Coordination;
  outbox: Outbox;
  config: AlertingConfig;
  log: Logger;
  metrics?: AlertMetrics;
  now?: () => Date;
  /** Back-off between rounds when applying a notification fails (default 2s, growing). */
  applyRetryMs?: number;
}

/** Serialises work per key (one group is changed by one thing at a time). */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return next;
  }
}

const RECENT_KEEP = 50_000;
const MAX_APPLY_ROUNDS = 4;

export const messageKey = (groupId: string, channel: string) => `g:${groupId}:${channel}`;
const digestKey = (digestId: string) => `d:${digestId}`;

export class AlertService {
  private readonly groups: Collection<AlertGroup>;
  private readonly inbox: Collection<InboxDoc>;
  private readonly deadLetters: Collection<{ _id: string; at: Date; entries: StoredEntry[]; errors: string[] }>;
  private failedRounds = 0;
  private readonly digests: DigestBook;
  private readonly router: AlertRouter;
  private readonly mutex = new KeyedMutex();
  private readonly now: () => Date;
  private ready: Promise<void> | undefined;
  private processing: Promise<void> | undefined;
  private again = false;
  private seq = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  private sweeping = false;
  /** Hashes accepted and not yet applied: a duplicate arriving meanwhile is recognised here. */
  private readonly pendingHashes = new Set<string>();
  /** Hashes of recently applied notifications (bounded, oldest dropped first). */
  private readonly recentlyApplied = new Set<string>();
  private readonly writeQueue: Waiting[] = [];
  private writing: Promise<void> | undefined;
  /** Ids handed to new groups that are not saved yet (groups are applied concurrently). */
  private readonly reserved = new Map<string, string>();

  constructor(private readonly opts: AlertServiceOptions) {
    this.groups = opts.store.collection<AlertGroup>('alert_groups');
    this.inbox = opts.store.collection<InboxDoc>('alert_inbox');
    this.deadLetters = opts.store.collection('alert_inbox_failed');
    this.digests = new DigestBook(opts.store.collection<Digest>('alert_digests'), opts.config.storm.digestMaxGroups);
    this.router = new AlertRouter(opts.config.routes, opts.config.defaultChannel);
    this.now = opts.now ?? (() => new Date());
  }

  init(): Promise<void> {
    this.ready ??= Promise.all([
      this.groups.createIndex({ groupKey: 1 }),
      this.groups.createIndex({ open: 1 }),
      this.inbox.createIndex({ seq: 1 }),
      this.digests.init(),
    ]).then(() => undefined);
    return this.ready;
  }

  /** Processes what a previous run accepted but did not finish, and starts the storm sweeper. */
  async start(): Promise<void> {
    await this.init();
    for (const doc of await this.inbox.find({})) for (const e of doc.entries) this.pendingHashes.add(e.hash);
    this.kick();
    const every = Math.max(200, Math.min(5000, Math.floor(this.opts.config.storm.window / 4)));
    this.sweeper = setInterval(() => { void this.sweepStorms().catch((e) => this.opts.log.error({ err: e }, 'storm sweep failed')); }, every);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    await this.processing;
  }

  /**
   * Accepts a validated notification: `duplicate` when it was seen before (nothing changes),
   * otherwise it is stored and processed shortly after.
   */
  async receive(payload: WebhookPayload): Promise<'accepted' | 'duplicate'> {
    await this.init();
    const hash = notificationHash(payload);
    // Recent notifications are recognised in memory; an older (or, after a restart, any) duplicate is
    // recognised by the processor against the group's applied notifications and changes nothing.
    if (this.pendingHashes.has(hash) || this.recentlyApplied.has(hash)) return 'duplicate';
    this.pendingHashes.add(hash);
    await new Promise<void>((resolve, reject) => {
      this.writeQueue.push({ hash, payload, resolve, reject });
      this.writing ??= this.writeInbox();
    });
    for (const a of payload.alerts) this.opts.metrics?.alerts.inc({ status: a.status });
    this.kick();
    return 'accepted';
  }

  /** Writes what is queued, as one inbox document per round; each waiting request settles with its round. */
  private async writeInbox(): Promise<void> {
    while (this.writeQueue.length) {
      const round = this.writeQueue.splice(0, 500);
      try {
        const now = this.now();
        await this.inbox.insertOne({ _id: newId(), seq: now.getTime() * 1000 + (this.seq++ % 1000), receivedAt: now, entries: round.map(({ hash, payload }) => ({ hash, json: JSON.stringify(payload) })) });
        for (const w of round) w.resolve();
      } catch (e) {
        for (const w of round) {
          this.pendingHashes.delete(w.hash);
          w.reject(e);
        }
      }
    }
    this.writing = undefined;
  }

  /** Settles when every accepted notification has been applied (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.processing) await this.processing;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.processing) {
      this.again = true;
      return;
    }
    this.processing = this.drainInbox()
      .catch((e) => this.opts.log.error({ err: e }, 'alert processing failed'))
      .finally(() => {
        this.processing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drainInbox(): Promise<void> {
    for (;;) {
      this.again = false;
      const docs = await this.inbox.find({}, { sort: { seq: 1 }, limit: 20 });
      if (docs.length === 0 || this.stopped) return;
      // One processor across replicas sharing a store.
      const lock = await this.opts.coordination.tryLock('alerts:inbox', 60_000);
      if (!lock) {
        await new Promise((r) => setTimeout(r, 1000).unref());
        continue;
      }
      try {
        const failed = await this.applyBatch(docs.flatMap((d) => d.entries.map((e) => ({ hash: e.hash, payload: JSON.parse(e.json) as WebhookPayload }))));
        if (this.stopped) return;
        if (failed.length) {
          // Retried a few times (a store hiccup); then set aside so one bad notification cannot stop alerting.
          this.failedRounds++;
          if (this.failedRounds < MAX_APPLY_ROUNDS) {
            const retry = setTimeout(() => this.kick(), (this.opts.applyRetryMs ?? 2000) * this.failedRounds);
            retry.unref();
            return;
          }
          await this.deadLetters.insertOne({ _id: newId(), at: this.now(), entries: failed.map((f) => ({ hash: f.entry.hash, json: JSON.stringify(f.entry.payload) })), errors: failed.map((f) => f.error) });
          this.opts.log.error({ count: failed.length }, 'Alertmanager notifications that keep failing were set aside in alert_inbox_failed');
        }
        this.failedRounds = 0;
        await this.inbox.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
        for (const d of docs) {
          for (const e of d.entries) {
            this.recentlyApplied.add(e.hash);
            this.pendingHashes.delete(e.hash);
          }
        }
        for (const h of this.recentlyApplied) {
          if (this.recentlyApplied.size <= RECENT_KEEP) break;
          this.recentlyApplied.delete(h);
        }
      } finally {
        await lock.release();
      }
    }
  }

  /** Applies a batch; returns the entries that failed (they stay queued and are retried). */
  private async applyBatch(batch: InboxEntry[]): Promise<{ entry: InboxEntry; error: string }[]> {
    // Different groups are applied concurrently; one group's notifications stay in order (keyed mutex).
    const failed: { entry: InboxEntry; error: string }[] = [];
    await Promise.all(batch.map((entry) => this.mutex.run(entry.payload.groupKey, async () => {
      if (this.stopped) return;
      try {
        await this.apply(entry);
      } catch (e) {
        failed.push({ entry, error: errorMessage(e) });
        this.opts.log.error({ err: e, groupKey: entry.payload.groupKey }, 'could not apply an Alertmanager notification; it stays queued');
      }
    })));
    return failed;
  }

  private async apply(entry: InboxEntry): Promise<void> {
    const p = entry.payload;
    const hash = entry.hash;
    const now = this.now();
    const latest = await this.groups.findOne({ groupKey: p.groupKey }, { sort: { occurrence: -1 } });
    if (latest?.seen.includes(hash)) return;
    let next: AlertGroup;
    if (latest && (latest.open || p.status === 'resolved')) {
      next = applyNotification(latest, p, hash, now);
      if (!latest.open) next = { ...next, open: false, status: 'resolved', resolvedAt: latest.resolvedAt ?? now };
    } else {
      const occurrence = (latest?.occurrence ?? 0) + 1;
      next = newGroup(await this.freeId(p.groupKey, occurrence), occurrence, p, this.router.route(p.commonLabels), hash, now);
      this.opts.log.info({ alert: next._id, groupKey: p.groupKey, occurrence, channels: next.routes.map((r) => r.channel) }, 'alert group opened');
    }
    const prev = latest && latest._id === next._id ? latest : undefined;
    try {
      const digests = await this.notify(prev, next);
      await this.save(next, !prev);
      await this.rerenderDigests(digests, next);
    } finally {
      this.reserved.delete(next._id);
    }
  }

  /** The shortest id of this occurrence not used by another group. */
  private async freeId(groupKey: string, occurrence: number): Promise<string> {
    for (const id of shortIdCandidates(groupKey, occurrence)) {
      const taken = this.reserved.get(id);
      if (taken !== undefined && taken !== `${groupKey}\0${occurrence}`) continue;
      const other = await this.groups.findOne({ _id: id });
      if (!other || (other.groupKey === groupKey && other.occurrence === occurrence)) {
        if (this.reserved.has(id) && this.reserved.get(id) !== `${groupKey}\0${occurrence}`) continue;
        this.reserved.set(id, `${groupKey}\0${occurrence}`);
        return id;
      }
    }
    return newId();
  }

  private async save(g: AlertGroup, isNew = false): Promise<void> {
    if (isNew) {
      try {
        await this.groups.insertOne(g);
        return;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // re-applied after a crash: update it below
      }
    }
    // lastNotifiedAt is written by delivered() alone.
    const { _id, lastNotifiedAt: _notified, ...fields } = g;
    const unset: Record<string, true> = {};
    for (const k of ['ackedBy', 'ackedAt', 'silenceId', 'silencedBy', 'silencedUntil', 'resolvedAt', 'resolvedBy'] as const) if (g[k] === undefined) unset[k] = true;
    await this.groups.updateOne({ _id }, { $set: fields, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { upsert: true });
  }

  /** Queues every channel's message of the group (or its digest), and the thread note on resolution. */
  private async notify(prev: AlertGroup | undefined, g: AlertGroup): Promise<Digest[]> {
    const digests: Digest[] = [];
    const now = this.now();
    const heldIn = new Set(g.heldIn);
    for (const target of g.routes) {
      const ch = target.channel;
      const key = messageKey(g._id, ch);
      const existing = await this.opts.outbox.get(key);
      // Held in a digest (checked in the store too when there is no message: a re-applied entry after a crash).
      const held = heldIn.has(ch) || !existing ? await this.digests.holding(ch, g._id) : null;
      if (held) {
        await this.enqueueDigest(held, g);
        digests.push(held);
        continue;
      }
      if (!existing) {
        const storm = this.opts.config.storm;
        const slot = await this.opts.coordination.rateLimit(`storm:${ch}`, storm.threshold, storm.window);
        if (!slot.allowed) {
          const d = await this.mutex.run(`digest:${ch}`, () => this.digests.add(ch, g._id, now, newId));
          heldIn.add(ch);
          g.heldIn = [...heldIn];
          await this.enqueueDigest(d, g);
          digests.push(d);
          continue;
        }
      }
      await this.opts.outbox.enqueue(key, ch, this.render(g, target));
      if (existing && prev?.open && !g.open) {
        await this.opts.outbox.enqueue(`r:${g._id}:${ch}`, ch, renderResolvedNote(g, now), { kind: 'reply', parent: key });
      }
    }
    return digests;
  }

  private render(g: AlertGroup, target: AlertGroup['routes'][number]) {
    return renderGroup(g, target, { now: this.now(), silenceButton: formatDuration(this.opts.config.silenceButton) });
  }

  /**
   * Digests are queued again once the group is saved: groups of one digest are applied
   * concurrently, and a render only sees the groups saved before it, so the render after the last
   * save is complete (the pending update is coalesced, so this costs no extra chat call).
   */
  private async rerenderDigests(digests: Digest[], g: AlertGroup): Promise<void> {
    for (const d of digests) {
      const fresh = await this.digests.holdingById(d._id);
      if (fresh) await this.enqueueDigest(fresh, g);
    }
  }

  private async enqueueDigest(d: Digest, changed: AlertGroup): Promise<void> {
    // One render of a digest at a time: the one queued last reads the store last.
    await this.mutex.run(`digest-render:${d._id}`, async () => {
      const others = await this.groups.find({ _id: { $in: d.groups.filter((id) => id !== changed._id) } });
      const byId = new Map([...others, changed].map((g) => [g._id, g] as const));
      const ordered = d.groups.map((id) => byId.get(id)).filter((g): g is AlertGroup => g !== undefined);
      await this.opts.outbox.enqueue(digestKey(d._id), d.channel, renderDigest(ordered, { now: this.now() }));
    });
  }

  /** Storms that are over: still-open groups of their digests get their own message (after anything more urgent). */
  async sweepStorms(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.sweepOnce();
      await this.expireSilences();
    } finally {
      this.sweeping = false;
    }
  }

  private async sweepOnce(): Promise<void> {
    const storm = this.opts.config.storm;
    const quiet = await this.digests.quiet(this.now(), storm.window);
    for (const d of quiet) {
      if (!(await this.digests.markClosed(d))) continue;
      const fresh = await this.digests.holdingById(d._id);
      for (const id of fresh?.groups ?? d.groups) {
        await this.withGroup(id, async (g) => {
          if (!g.heldIn.includes(d.channel)) return undefined;
          const next = { ...g, heldIn: g.heldIn.filter((c) => c !== d.channel) };
          const target = g.routes.find((r) => r.channel === d.channel);
          if (storm.releaseOpenGroups && g.open && target) {
            await this.opts.outbox.enqueue(messageKey(g._id, d.channel), d.channel, this.render(next, target), { priority: 1 });
          }
          return next;
        }, false);
      }
      await this.digests.markReleased(d._id);
    }
  }

  /** A silence that ran out: the group shows firing again (with its buttons) in every message. */
  private async expireSilences(): Promise<void> {
    const now = this.now();
    const expired = await this.groups.find({ open: true, silencedUntil: { $lt: now } });
    for (const g of expired) {
      await this.withGroup(g._id, async (cur) => {
        if (!cur.silencedUntil || cur.silencedUntil >= now) return undefined;
        const { silenceId: _id, silencedBy: _by, silencedUntil: _until, ...rest } = cur;
        return { ...rest, updatedAt: now };
      });
    }
  }

  private async withGroup(id: string, change: (g: AlertGroup) => Promise<AlertGroup | undefined>, doNotify = true): Promise<AlertGroup> {
    const first = await this.find(id);
    return this.mutex.run(first.groupKey, async () => {
      const g = await this.find(id);
      const next = await change(g);
      if (!next) return g;
      const digests = doNotify ? await this.notify(g, next) : [];
      await this.save(next);
      await this.rerenderDigests(digests, next);
      return next;
    });
  }

  /** The outbox delivered a message: note when the group was last notified. */
  async delivered(item: { _id: string; sentAt?: Date }): Promise<void> {
    const m = /^g:([0-9a-f]+):/.exec(item._id);
    if (m && item.sentAt) await this.groups.updateOne({ _id: m[1] }, { $set: { lastNotifiedAt: item.sentAt } });
  }

  // ---- what commands do -------------------------------------------------------------

  async find(id: string): Promise<AlertGroup> {
    await this.init();
    const clean = id.trim().toLowerCase();
    if (!/^[0-9a-f]{4,16}$/.test(clean)) throw new UserError('invalid', `"${id}" is not an alert id (like a1b2; \`alerts\` lists them)`);
    const g = await this.groups.findOne({ _id: clean });
    if (!g) throw new UserError('not_found', `No alert group ${clean}. \`alerts\` lists the open ones.`);
    return g;
  }

  /** Open groups, newest first. */
  async listOpen(limit = 50): Promise<AlertGroup[]> {
    await this.init();
    return this.groups.find({ open: true }, { sort: { firstSeenAt: -1 }, limit });
  }

  async countOpen(): Promise<number> {
    await this.init();
    return this.groups.countDocuments({ open: true });
  }

  async countByState(): Promise<Map<GroupState, number>> {
    const out = new Map<GroupState, number>();
    const now = this.now().getTime();
    for (const g of await this.listOpen(100_000)) {
      const s = stateOf(g, now);
      out.set(s, (out.get(s) ?? 0) + 1);
    }
    return out;
  }

  renderFor(g: AlertGroup) {
    return this.render(g, g.routes[0] ?? { channel: this.opts.config.defaultChannel, route: 'default' });
  }

  async acknowledge(id: string, who: string): Promise<AlertGroup> {
    return this.withGroup(id, async (g) => {
      if (!g.open) throw new UserError('conflict', `Alert ${g._id} is already resolved.`);
      if (g.ackedAt) throw new UserError('conflict', `Alert ${g._id} was already acknowledged by ${g.ackedBy ?? 'someone'} at ${g.ackedAt.toISOString()}.`);
      return acknowledge(g, who, this.now());
    });
  }

  async resolve(id: string, who: string): Promise<AlertGroup> {
    return this.withGroup(id, async (g) => {
      if (!g.open) throw new UserError('conflict', `Alert ${g._id} is already resolved.`);
      return resolveByHand(g, who, this.now());
    });
  }

  /** Records a silence that was created in Alertmanager. */
  async recordSilence(id: string, who: string, silenceId: string, until: Date): Promise<AlertGroup> {
    return this.withGroup(id, async (g) => silence(g, who, silenceId, until, this.now()));
  }

  /** The labels a silence for this group matches: its group labels, else its common labels. */
  silenceMatchers(g: AlertGroup): Record<string, string> {
    return Object.keys(g.groupLabels).length ? g.groupLabels : g.commonLabels;
  }
}

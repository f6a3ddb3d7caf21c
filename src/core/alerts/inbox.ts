/**
 * The durable inbox of Alertmanager notifications. `receive()` recognises duplicates of the last
 * DUPLICATE_WINDOW_MS in memory (a fast path only: the processor checks every notification against the group's applied
 * ones in the store), stores the notification and returns: the caller answers Alertmanager at
 * once. Notifications that arrive while an inbox write is in flight are written together in the
 * next one (group commit: one store write for many webhooks, each answered only once durable).
 */
import type { Clock } from '../clock.js';
import type { Collection, Store } from '../store/types.js';
import { newId } from '../ids.js';
import { notificationHash, type WebhookPayload } from './payload.js';
import { DUPLICATE_WINDOW_MS } from './group.js';

export interface InboxEntry {
  hash: string;
  payload: WebhookPayload;
}

/** As stored: the payload as JSON text (the store copies and serialises text cheaply). */
interface StoredEntry {
  hash: string;
  json: string;
}

/** One inbox write: the notifications accepted together. */
export interface InboxDoc {
  _id: string;
  seq: number;
  receivedAt: Date;
  entries: StoredEntry[];
}

interface Waiting extends StoredEntry {
  resolve(): void;
  reject(e: unknown): void;
}

function entryOf(stored: StoredEntry): InboxEntry {
  let payload: WebhookPayload | undefined;
  return {
    hash: stored.hash,
    get payload(): WebhookPayload {
      payload ??= JSON.parse(stored.json) as WebhookPayload;
      return payload;
    },
  };
}

/** Hashes remembered for the fast duplicate check (oldest dropped first), each with when it was seen. */
const RECENT_KEEP = 50_000;
const ROUND_MAX = 500;

export class AlertInbox {
  private readonly inbox: Collection<InboxDoc>;
  private readonly deadLetters: Collection<{ _id: string; at: Date; entries: StoredEntry[]; errors: string[] }>;
  private readonly recent = new Map<string, number>();
  private readonly writeQueue: Waiting[] = [];
  private writing: Promise<void> | undefined;
  /** When the round in flight started (clock ms), undefined when no write is in flight. */
  private writingSince: number | undefined;
  private seq = 0;

  constructor(store: Store, private readonly clock: Clock) {
    this.inbox = store.collection<InboxDoc>('alert_inbox');
    this.deadLetters = store.collection('alert_inbox_failed');
  }

  init(): Promise<void> {
    return this.inbox.createIndex({ seq: 1 });
  }

  /** Remembers what a previous run accepted and did not apply yet (for the fast duplicate check). */
  async loadPending(): Promise<void> {
    for (const doc of await this.inbox.find({})) for (const e of doc.entries) this.remember(e.hash);
  }

  /** `duplicate` when this process saw it recently; otherwise it is stored (resolves once durable). */
  async receive(payload: WebhookPayload): Promise<'accepted' | 'duplicate'> {
    const hash = notificationHash(payload);
    const seenAt = this.recent.get(hash);
    if (seenAt !== undefined && this.clock.now() - seenAt < DUPLICATE_WINDOW_MS) return 'duplicate';
    // Serialised here, so a payload that cannot be fails its own request only, never a round.
    const json = JSON.stringify(payload);
    this.remember(hash);
    await new Promise<void>((resolve, reject) => {
      this.writeQueue.push({ hash, json, resolve, reject });
      this.startWriting();
    });
    return 'accepted';
  }

  /**
   * Why intake is not making progress, or undefined: an inbox write in flight for longer than
   * `stallMs`, or an accepted notification that has waited longer than that to be applied.
   */
  async stalledReason(stallMs: number): Promise<string | undefined> {
    const now = this.clock.now();
    if (this.writingSince !== undefined && now - this.writingSince > stallMs) {
      return `an alert inbox write has been in flight for ${Math.round((now - this.writingSince) / 1000)}s (${this.writeQueue.length} webhook(s) waiting)`;
    }
    // A store that cannot be read is the store's readiness to report, not intake's.
    const [oldest] = await this.inbox.find({}, { sort: { seq: 1 }, limit: 1 }).catch(() => []);
    if (oldest && now - oldest.receivedAt.getTime() > stallMs) {
      return `the oldest accepted Alertmanager notification has waited ${Math.round((now - oldest.receivedAt.getTime()) / 1000)}s to be applied`;
    }
    return undefined;
  }

  /**
   * The oldest inbox documents and their entries. An entry's payload is parsed when first read:
   * a look at whether anything is pending (`batch(1)`) parses none of a round's hundreds.
   */
  async batch(limit: number): Promise<{ docs: InboxDoc[]; entries: InboxEntry[] }> {
    const docs = await this.inbox.find({}, { sort: { seq: 1 }, limit });
    return { docs, entries: docs.flatMap((d) => d.entries.map(entryOf)) };
  }

  /** The documents were applied (an entry applied twice changes nothing: the group remembers it). */
  async done(docs: InboxDoc[]): Promise<void> {
    await this.inbox.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
  }

  /** Sets entries that keep failing aside in `alert_inbox_failed`. */
  async setAside(failed: { entry: InboxEntry; error: string }[]): Promise<void> {
    await this.deadLetters.insertOne({ _id: newId(), at: this.clock.date(), entries: failed.map((f) => ({ hash: f.entry.hash, json: JSON.stringify(f.entry.payload) })), errors: failed.map((f) => f.error) });
  }

  private remember(hash: string): void {
    this.recent.delete(hash);
    this.recent.set(hash, this.clock.now());
    if (this.recent.size > RECENT_KEEP) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
  }

  /**
   * Starts the writer unless it runs. It starts on a later tick and clears itself in `finally`, so
   * no exception (thrown at once or later, anywhere in a round) can leave it marked in flight;
   * whatever is still queued then starts the next writer.
   */
  private startWriting(): void {
    if (this.writing) return;
    this.writing = Promise.resolve()
      .then(() => this.write())
      .catch((e: unknown) => {
        for (const w of this.writeQueue.splice(0)) this.fail(w, e);
      })
      .finally(() => {
        this.writing = undefined;
        this.writingSince = undefined;
        if (this.writeQueue.length) this.startWriting();
      });
  }

  /** Writes what is queued, as one inbox document per round; each waiting request settles with its round. */
  private async write(): Promise<void> {
    while (this.writeQueue.length) {
      const round = this.writeQueue.splice(0, ROUND_MAX);
      try {
        const now = this.clock.date();
        this.writingSince = now.getTime();
        await this.inbox.insertOne({ _id: newId(), seq: now.getTime() * 1000 + (this.seq++ % 1000), receivedAt: now, entries: round.map(({ hash, json }) => ({ hash, json })) });
        for (const w of round) w.resolve();
      } catch (e) {
        for (const w of round) this.fail(w, e);
      }
    }
  }

  private fail(w: Waiting, e: unknown): void {
    this.recent.delete(w.hash);
    w.reject(e);
  }
}

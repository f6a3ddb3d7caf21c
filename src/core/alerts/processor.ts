/**
 * Applies inbox entries to the groups: one processor across processes (the `alerts:inbox` lock,
 * renewed while a batch runs; a lost lock stops the batch before anything is deleted), different
 * groups concurrently and one group's notifications in order. Each application is a
 * compare-and-set: a group changed meanwhile (a button press on another replica) is read again
 * and the notification applied to it; a new group is created by insert.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import type { Coordination, Lock } from '../coordination/types.js';
import type { Collection } from '../store/types.js';
import { ConflictError, MAX_CAS_TRIES } from '../compare-and-set.js';
import { errorMessage } from '../errors.js';
import { applyNotification, newGroup, reopensOnRepeat, type AlertGroup } from './group.js';
import type { GroupWriter } from './group-writer.js';
import { insertNewGroup } from './ids.js';
import type { AlertInbox, InboxEntry } from './inbox.js';
import type { AlertRouter } from './routing.js';
import type { AlertEvent } from './events.js';

const BATCH_DOCS = 20;

/** A group's latest occurrence as read for a whole batch (null: none); undefined: read it now. */
type Prefetched = { latest: AlertGroup | null } | undefined;
const MAX_APPLY_ROUNDS = 4;
export const INBOX_LOCK = 'alerts:inbox';
const INBOX_LOCK_MS = 60_000;

export interface ProcessorDeps {
  inbox: AlertInbox;
  groups: Collection<AlertGroup>;
  writer: GroupWriter;
  router: AlertRouter;
  coordination: Coordination;
  clock: Clock;
  log: Logger;
  report: (e: AlertEvent) => Promise<void>;
  /** Whether a new group's id candidate is still named by chat messages on these channels (a removed group's). */
  idTaken?: (id: string, channels: string[]) => Promise<boolean>;
  /** Back-off between rounds when applying a notification fails (default 2s, growing). */
  applyRetryMs?: number;
  /** How soon to look again when another process holds the inbox lock (default 1s). */
  lockRetryMs?: number;
  /** How long the inbox lock lasts between renewals (default 60s). */
  lockMs?: number;
  /** Applying waits while webhooks pour in (default true; see IntakePace). */
  intakeFirst?: boolean;
}

/** A lock renewed every third of its time while held; `lost` once a renewal failed. */
class RenewedLock {
  lost = false;
  private timer: Timer | undefined;

  constructor(private readonly lock: Lock, private readonly ttlMs: number, private readonly clock: Clock, private readonly log: Logger) {
    this.arm();
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      void this.lock.extend(this.ttlMs).then((ok) => {
        if (ok) return this.arm();
        this.lost = true;
        this.log.warn({ lock: this.lock.key }, 'lost the alert inbox lock: stopping this batch (another process takes over)');
      }, (e: unknown) => {
        this.lost = true;
        this.log.error({ err: e, lock: this.lock.key }, 'could not renew the alert inbox lock: stopping this batch');
      });
    }, Math.floor(this.ttlMs / 3));
  }

  /** Extends the lock now (before a step that must happen under it); false when it was lost. */
  async confirm(): Promise<boolean> {
    if (this.lost) return false;
    if (await this.lock.extend(this.ttlMs).catch(() => false)) return true;
    this.lost = true;
    this.log.warn({ lock: this.lock.key }, 'lost the alert inbox lock: stopping this batch (another process takes over)');
    return false;
  }

  async release(): Promise<void> {
    this.timer?.cancel();
    if (!this.lost) await this.lock.release();
  }
}

/**
 * Intake first: while webhooks arrive faster than HOT_PER_WINDOW per PACE_WINDOW_MS, applying a
 * batch waits (at most INTAKE_FIRST_MAX_MS), so answering Alertmanager gets the CPU and the
 * backlog is applied as soon as the burst ends. Wall time (how busy this process is, not a due date).
 */
const PACE_WINDOW_MS = 100;
const HOT_PER_WINDOW = 50;
const INTAKE_FIRST_MAX_MS = 2000;
const INTAKE_FIRST_POLL_MS = 20;

class IntakePace {
  private windowStart = 0;
  private count = 0;
  private previous = 0;

  note(): void {
    this.roll();
    this.count++;
  }

  hot(): boolean {
    this.roll();
    return this.count >= HOT_PER_WINDOW || this.previous >= HOT_PER_WINDOW;
  }

  private roll(): void {
    const now = performance.now();
    const age = now - this.windowStart;
    if (age < PACE_WINDOW_MS) return;
    this.previous = age < 2 * PACE_WINDOW_MS ? this.count : 0;
    this.count = 0;
    this.windowStart = now;
  }
}

export class AlertProcessor {
  private readonly pace = new IntakePace();
  private processing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failedRounds = 0;
  /**
   * Until when (clock ms) another process is taken to hold the inbox lock: a kick meanwhile
   * neither reads the inbox nor tries the lock (a store write per webhook on a replica that does
   * not apply), since the look-again timer set when the lock was found taken runs at that time.
   */
  private lockBusyUntil = 0;

  constructor(private readonly d: ProcessorDeps) {}

  /** Routes new groups by `router` from now on (a config reload); groups already open keep their routes. */
  useRouter(router: AlertRouter): void {
    this.d.router = router;
  }

  /** Drains the inbox now, or once more after the current drain. */
  kick(): void {
    if (this.stopped || this.d.clock.now() < this.lockBusyUntil) return;
    if (this.processing) {
      this.again = true;
      return;
    }
    this.processing = this.drain()
      .catch((e) => {
        // A store failure outside one notification (reading the inbox, taking the lock): try again later, not only on the next webhook.
        this.d.log.error({ err: e }, 'alert processing failed');
        this.later(this.d.applyRetryMs ?? 2000);
      })
      .finally(() => {
        this.processing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** A webhook was accepted (for intake first: see IntakePace). */
  noteIntake(): void {
    this.pace.note();
  }

  /** While intake is hot, waits (up to INTAKE_FIRST_MAX_MS from now) before the next batch. */
  private async yieldToIntake(lock: RenewedLock): Promise<void> {
    const started = performance.now();
    while (this.d.intakeFirst !== false && this.pace.hot() && !this.stopped && !lock.lost && performance.now() - started < INTAKE_FIRST_MAX_MS) {
      await new Promise((r) => setTimeout(r, INTAKE_FIRST_POLL_MS));
    }
  }

  /** Settles when this process has nothing more to apply. */
  async settled(): Promise<void> {
    while (this.processing) await this.processing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.processing;
  }

  private later(ms: number): void {
    this.d.clock.setTimeout(() => this.kick(), ms);
  }

  private async drain(): Promise<void> {
    this.again = false;
    if ((await this.d.inbox.batch(1)).docs.length === 0 || this.stopped) return;
    const ttl = this.d.lockMs ?? INBOX_LOCK_MS;
    const taken = await this.d.coordination.tryLock(INBOX_LOCK, ttl);
    if (!taken) {
      // Another process applies the inbox (what this one accepts too); look again soon in case it stops, and not before.
      const retryMs = this.d.lockRetryMs ?? 1000;
      this.lockBusyUntil = this.d.clock.now() + retryMs;
      this.d.clock.setTimeout(() => {
        this.lockBusyUntil = 0; // a timer may run a little before the clock reads its due time
        this.kick();
      }, retryMs);
      return;
    }
    const lock = new RenewedLock(taken, ttl, this.d.clock, this.d.log);
    try {
      for (;;) {
        this.again = false;
        await this.yieldToIntake(lock);
        const { docs, entries } = await this.d.inbox.batch(BATCH_DOCS);
        if (docs.length === 0 || this.stopped || lock.lost) return;
        const failed = await this.applyBatch(entries, lock);
        if (this.stopped || lock.lost) return;
        if (failed.length) {
          // Retried a few times (a store hiccup); then set aside so one bad notification cannot stop alerting.
          this.failedRounds++;
          if (this.failedRounds < MAX_APPLY_ROUNDS) {
            this.later((this.d.applyRetryMs ?? 2000) * this.failedRounds);
            return;
          }
          await this.d.inbox.setAside(failed);
          this.d.log.error({ count: failed.length }, 'Alertmanager notifications that keep failing were set aside in alert_inbox_failed');
        }
        this.failedRounds = 0;
        // Deleted only while the lock is still ours; otherwise the next holder applies them again (changing nothing twice).
        if (!(await lock.confirm())) return;
        await this.d.inbox.done(docs);
      }
    } finally {
      await lock.release();
      if (lock.lost && !this.stopped) this.later(this.d.lockRetryMs ?? 1000);
    }
  }

  /** Applies a batch; returns the entries that failed (they stay queued and are retried). */
  private async applyBatch(batch: InboxEntry[], lock: RenewedLock): Promise<{ entry: InboxEntry; error: string }[]> {
    const failed: { entry: InboxEntry; error: string }[] = [];
    const known = await this.latestOfBatch(batch);
    await Promise.all(batch.map((entry) => this.d.writer.serialised(entry.payload.groupKey, async () => {
      if (this.stopped || lock.lost) return;
      try {
        await this.apply(entry, known.take(entry));
      } catch (e) {
        failed.push({ entry, error: errorMessage(e) });
        this.d.log.error({ err: e, groupKey: entry.payload.groupKey }, 'could not apply an Alertmanager notification; it stays queued');
      }
    })));
    return failed;
  }

  /**
   * The latest occurrence of every group the batch names, read by one query (instead of one per
   * notification). Only the first notification of a group in the batch is given it, for its first
   * attempt: the ones after it are applied after it (serialised per group) and read the store
   * again, and a compare-and-set that finds the group changed meanwhile reads it again too.
   */
  private async latestOfBatch(batch: InboxEntry[]): Promise<{ take(entry: InboxEntry): Prefetched }> {
    const firstOf = new Map<string, InboxEntry>();
    for (const entry of batch) if (!firstOf.has(entry.payload.groupKey)) firstOf.set(entry.payload.groupKey, entry);
    const latest = new Map<string, AlertGroup>();
    for (const g of await this.d.groups.find({ groupKey: { $in: [...firstOf.keys()] } })) {
      const cur = latest.get(g.groupKey);
      if (!cur || g.occurrence > cur.occurrence) latest.set(g.groupKey, g);
    }
    return {
      take: (entry) => (firstOf.get(entry.payload.groupKey) === entry ? { latest: latest.get(entry.payload.groupKey) ?? null } : undefined),
    };
  }

  /**
   * Applies one notification to its group (or opens a new occurrence), by compare-and-set.
   * `known`: the group's latest occurrence as read for the whole batch, used for the first attempt.
   */
  async apply(entry: InboxEntry, known?: Prefetched): Promise<void> {
    const { groups, writer } = this.d;
    const p = entry.payload;
    let lost = false;
    let id: string | undefined;
    try {
      for (let i = 0; i < MAX_CAS_TRIES; i++) {
        const now = this.d.clock.date();
        const latest = i === 0 && known ? known.latest : await groups.findOne({ groupKey: p.groupKey }, { sort: { occurrence: -1 } });
        id = latest?._id;
        if (latest?.seen.includes(entry.hash) && !reopensOnRepeat(latest, p.status, now)) {
          // Applied before; its messages may not be queued yet (a crash in between, or another process mid-way).
          if (latest.pendingFanout) await this.announce(latest);
          return;
        }
        if (latest && (latest.open || p.status === 'resolved')) {
          let next = applyNotification(latest, p, entry.hash, now);
          if (!latest.open) next = { ...next, open: false, status: 'resolved', resolvedAt: latest.resolvedAt ?? now };
          if ((await writer.save(latest, next)) === 'conflict') {
            lost = true;
            continue;
          }
          lost = false;
          if (latest.open && !next.open) {
            await this.d.report({ action: 'alert.resolved', alertId: next._id, groupKey: next.groupKey, channels: next.routes.map((r) => r.channel), detail: `Alertmanager resolved alert group ${next._id} (${next.alerts.length} alert(s))`, at: now });
          }
          return;
        }
        const occurrence = (latest?.occurrence ?? 0) + 1;
        const draft = { ...newGroup('', occurrence, p, this.d.router.route(p.commonLabels), entry.hash, now), version: 1, pendingFanout: true as const };
        const idTaken = this.d.idTaken;
        const created = await insertNewGroup(groups, draft, idTaken && ((candidate) => idTaken(candidate, draft.routes.map((r) => r.channel))));
        if (!created) continue; // another process opened it first: apply to theirs
        const channels = created.routes.map((r) => r.channel);
        this.d.log.info({ alert: created._id, groupKey: p.groupKey, occurrence, channels }, 'alert group opened');
        await this.d.report({ action: 'alert.opened', alertId: created._id, groupKey: created.groupKey, channels, detail: `alert group ${created._id} opened (occurrence ${occurrence}, ${created.alerts.length} alert(s))`, at: now, group: created });
        await this.announce(created);
        return;
      }
      throw new ConflictError('alert_groups', p.groupKey, MAX_CAS_TRIES);
    } finally {
      if (lost && id) await writer.repaint(id);
    }
  }

  /**
   * Queues the messages of a new group and clears its `pendingFanout` mark. `stored` is the group
   * as just read or inserted: tried first without reading it again.
   */
  private async announce(stored: AlertGroup): Promise<void> {
    const strip = (cur: AlertGroup): AlertGroup | undefined => {
      if (!cur.pendingFanout) return undefined;
      const { pendingFanout: _p, ...rest } = cur;
      return rest;
    };
    const first = strip(stored);
    if (!first || (await this.d.writer.save(stored, first)) === 'written') return;
    // Changed meanwhile (a button press): re-apply; if someone else queued its messages, show the stored state.
    const r = await this.d.writer.change(stored._id, undefined, strip);
    if (!r.changed) await this.d.writer.repaint(stored._id);
  }
}

/**
 * Maintenance windows: start one for a target (stored, its alerts silenced, the channel told),
 * end it by hand or when its time runs out (once, across processes: the end is a compare-and-set
 * from `active` to `ended`, and only the actor that wins it expires the silences), list them, and
 * answer `activeFor(target, at)` for escalations and jobs.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Outbox } from '../outbox/index.js';
import type { AuditLog } from '../audit.js';
import { UserError, errorMessage } from '../errors.js';
import { newId } from '../ids.js';
import { isDuplicateKey, type Collection, type Store } from '../store/types.js';
import type { MaintenanceWindow, MaintenanceWindows } from './port.js';
import { MAINTENANCE_COLLECTION, windowOf, type MaintenanceRecord } from './record.js';
import type { TargetSilencer } from './silencer.js';
import { endKey, endReply, startKey, startReply } from './announce.js';

const CAS_RETRIES = 8;
/** An ended window whose end is not announced after this long is finished by any process's sweep. */
export const ANNOUNCE_GRACE_MS = 30_000;
export const SYSTEM_ACTOR = 'opsbot';

export interface MaintenanceOptions {
  store: Store;
  clock: Clock;
  outbox: Pick<Outbox, 'enqueue'>;
  audit: Pick<AuditLog, 'systemEvent'>;
  log: Logger;
  /** Undefined without Alertmanager: windows still pause escalations and jobs, and say alerts are not silenced. */
  silencer?: TargetSilencer | undefined;
  /** Where a window started from no channel (`opsbot exec`) is announced. */
  defaultChannel: string;
}

export interface StartRequest {
  target: string;
  durationMs: number;
  by: string;
  reason?: string | undefined;
  /** `<surface>:<channel>` to announce in; `defaultChannel` when absent. */
  channel?: string | undefined;
}

export class MaintenanceService implements MaintenanceWindows {
  private readonly c: Collection<MaintenanceRecord>;
  private ready: Promise<void> | undefined;
  /** Called after a window starts, so the expiry timer can take its deadline into account. */
  onStarted: (r: MaintenanceRecord) => void = () => {};

  constructor(private readonly opts: MaintenanceOptions) {
    this.c = opts.store.collection<MaintenanceRecord>(MAINTENANCE_COLLECTION);
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await this.c.createIndex({ slot: 1 }, { unique: true });
      await this.c.createIndex({ target: 1, from: -1 });
    })();
    return this.ready;
  }

  get silencer(): TargetSilencer | undefined {
    return this.opts.silencer;
  }

  async activeFor(target: string, at: Date): Promise<MaintenanceWindow | undefined> {
    await this.init();
    const r = await this.c.findOne({ target, from: { $lte: at }, until: { $gt: at } }, { sort: { from: -1 } });
    return r ? windowOf(r) : undefined;
  }

  async find(id: string): Promise<MaintenanceRecord> {
    await this.init();
    const r = await this.c.findOne({ _id: id });
    if (!r) throw new UserError('not_found', `No maintenance window ${id} (\`maintenance list\` shows them)`);
    return r;
  }

  /** Open windows (soonest end first) and the most recently ended ones. */
  async list(recent = 10): Promise<{ active: MaintenanceRecord[]; ended: MaintenanceRecord[] }> {
    await this.init();
    const now = this.opts.clock.date();
    const active = await this.c.find({ state: 'active', until: { $gt: now } }, { sort: { until: 1 } });
    const ended = await this.c.find({ $or: [{ state: 'ended' }, { until: { $lte: now } }] }, { sort: { until: -1 }, limit: recent });
    return { active, ended };
  }

  async start(req: StartRequest): Promise<MaintenanceRecord> {
    await this.init();
    if (!(req.durationMs > 0)) throw new UserError('invalid', 'A maintenance window needs a duration above zero');
    const record = await this.insert(req);
    const withSilences = await this.silence(record);
    await this.opts.outbox.enqueue(startKey(record._id), record.channel, startReply(withSilences));
    this.onStarted(withSilences);
    return withSilences;
  }

  /** Ends a window by hand. Refused when it has already ended. */
  async end(id: string, by: string): Promise<MaintenanceRecord> {
    const closed = await this.close(id, by);
    if (!closed) throw new UserError('conflict', `Maintenance window ${id} has already ended`);
    return this.finishEnd(closed);
  }

  /**
   * The expiry pass: ends every open window whose time has run out and finishes ends another
   * process claimed but did not announce. Returns the earliest deadline still ahead.
   */
  async sweep(): Promise<Date | undefined> {
    await this.init();
    const now = this.opts.clock.date();
    for (const due of await this.c.find({ state: 'active', until: { $lte: now } }, { sort: { until: 1 }, limit: 100 })) {
      try {
        const closed = await this.close(due._id, SYSTEM_ACTOR);
        if (closed) await this.finishEnd(closed);
      } catch (e) {
        this.opts.log.error({ err: errorMessage(e), window: due._id }, 'ending a maintenance window failed; the next sweep retries');
      }
    }
    const stale = new Date(now.getTime() - ANNOUNCE_GRACE_MS);
    for (const r of await this.c.find({ state: 'ended', endAnnounced: false, endedAt: { $lte: stale } }, { limit: 100 })) {
      try {
        await this.finishEnd(r);
      } catch (e) {
        this.opts.log.error({ err: errorMessage(e), window: r._id }, 'announcing the end of a maintenance window failed; the next sweep retries');
      }
    }
    const next = await this.c.findOne({ state: 'active' }, { sort: { until: 1 } });
    return next?.until;
  }

  private async insert(req: StartRequest): Promise<MaintenanceRecord> {
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const from = this.opts.clock.date();
      const until = new Date(from.getTime() + req.durationMs);
      const doc: MaintenanceRecord = {
        _id: `m${newId().slice(0, 5)}`, target: req.target, from, until, plannedUntil: until, by: req.by,
        ...(req.reason ? { reason: req.reason } : {}),
        slot: req.target, state: 'active', channel: req.channel ?? this.opts.defaultChannel,
        silenceIds: [], endAnnounced: false, createdAt: from, version: 1,
      };
      try {
        return await this.c.insertOne(doc);
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      const open = await this.c.findOne({ slot: req.target });
      if (!open) continue; // an id collision, or the open window just ended: try again
      if (open.until.getTime() > this.opts.clock.now()) {
        throw new UserError('conflict', `${req.target} is already under maintenance until ${open.until.toISOString()} (window ${open._id}, by ${open.by}); \`maintenance end ${open._id}\` ends it`);
      }
      // Its time ran out and no sweep ended it yet: end it now, then take the slot.
      const closed = await this.close(open._id, SYSTEM_ACTOR);
      if (closed) await this.finishEnd(closed);
    }
    throw new UserError('conflict', `Could not start maintenance on ${req.target}: the record kept changing; try again`);
  }

  /** Creates the silences, or removes the window again when Alertmanager refuses (nothing is left half done). */
  private async silence(r: MaintenanceRecord): Promise<MaintenanceRecord> {
    const silencer = this.opts.silencer;
    const set: Partial<MaintenanceRecord> = {};
    if (silencer) {
      try {
        set.silenceIds = await silencer.silence(r.target, { from: r.from, until: r.until, by: r.by, comment: `opsbot maintenance ${r._id} on ${r.target}${r.reason ? `: ${r.reason}` : ''}` });
      } catch (e) {
        await this.c.deleteOne({ _id: r._id, version: r.version });
        throw e;
      }
    } else {
      set.silenceNote = 'Its alerts are not silenced in Alertmanager (no ALERTMANAGER_URL).';
    }
    const updated = await this.c.findOneAndUpdate({ _id: r._id, version: r.version }, { $set: set, $inc: { version: 1 } });
    if (updated) return updated;
    // Ended in between (by hand, at once): its end did not know these silences.
    if (set.silenceIds?.length) await silencer?.unsilence(set.silenceIds);
    return this.find(r._id);
  }

  /** The compare-and-set from active to ended; undefined when it had already ended (someone else won). */
  private async close(id: string, by: string): Promise<MaintenanceRecord | undefined> {
    await this.init();
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const cur = await this.find(id);
      if (cur.state !== 'active') return undefined;
      const now = this.opts.clock.date();
      const until = now.getTime() < cur.until.getTime() ? now : cur.until;
      const won = await this.c.findOneAndUpdate(
        { _id: id, version: cur.version, state: 'active' },
        { $set: { state: 'ended', slot: `${cur.target}#${id}`, until, endedAt: now, endedBy: by }, $inc: { version: 1 } },
      );
      if (won) return won;
    }
    throw new UserError('conflict', `Maintenance window ${id} kept changing; try again`);
  }

  /** Expires the silences, tells the channel, records it. Safe to repeat: the outbox keys are per window. */
  private async finishEnd(r: MaintenanceRecord): Promise<MaintenanceRecord> {
    if (r.silenceIds.length && this.opts.silencer) await this.opts.silencer.unsilence(r.silenceIds);
    await this.opts.outbox.enqueue(startKey(r._id), r.channel, startReply(r));
    await this.opts.outbox.enqueue(endKey(r._id), r.channel, endReply(r));
    const done = await this.c.findOneAndUpdate({ _id: r._id, version: r.version, endAnnounced: false }, { $set: { endAnnounced: true }, $inc: { version: 1 } });
    if (done && r.endedBy === SYSTEM_ACTOR) {
      await this.opts.audit.systemEvent({
        action: 'maintenance.ended',
        message: `maintenance window ${r._id} on ${r.target} ended: its time ran out`,
        detail: { window: r._id, target: r.target, from: r.from.toISOString(), until: r.until.toISOString(), silences: r.silenceIds },
      });
    }
    return done ?? r;
  }
}

/**
 * The audit trail in the store. Write and dangerous commands get a `started` entry before they
 * run and are completed by a compare-and-set on that entry; everything else is one completed
 * entry. Adapter rejections and system events are entries with `surface: system`.
 */
import type { Collection, Store } from '../store/types.js';
import { systemClock, type Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { ErrorCode } from '../errors.js';
import type { Redactor } from '../redact.js';
import { SYSTEM_SUBJECT, SYSTEM_SURFACE, stateOf, type AuditEntry, type AuditOwner, type Outcome } from './entry.js';
import { ownerGone, pidAlive, thisProcess } from './owner.js';

/** Added to a command's timeout before its `started` entry reads `interrupted`. */
export const DEADLINE_GRACE_MS = 30_000;
const CAS_RETRIES = 5;

export interface AuditOptions {
  clock?: Clock;
  /** Masks secrets in what system events and rejections carry (the router redacts invocations itself). */
  redactor?: Redactor;
  owner?: AuditOwner;
  alive?: (pid: number) => boolean;
}

export type StartedEntry = Pick<AuditEntry, 'invocationId' | 'subject' | 'surface' | 'command' | 'args' | 'line'> & { channel?: string | undefined; parentInvocationId?: string | undefined; approval?: string | undefined };

export interface Completion {
  outcome: Outcome;
  code?: ErrorCode | undefined;
  message?: string | undefined;
  durationMs: number;
}

export type CompletedEntry = Omit<AuditEntry, '_id' | 'at' | 'state' | 'version' | 'channel' | 'outcome' | 'durationMs' | 'code' | 'message'> & Completion & { channel?: string | undefined; at?: Date };

export interface Rejection {
  /** Who was refused (`discord:user:42`). */
  subject: string;
  /** The surface that refused it (`discord`, `slack`). */
  origin: string;
  /** What was refused: `button`, `options`, `payload`. */
  what: string;
  code: ErrorCode;
  message: string;
  channel?: string | undefined;
  line?: string | undefined;
  invocationId?: string | undefined;
}

export interface SystemEvent {
  /** What happened: `alert.opened`, `alert.resolved`, `silence.expired`, `storm.released`. */
  action: string;
  subject?: string;
  message?: string;
  detail?: Record<string, unknown>;
}

export interface ListOptions {
  limit: number;
  subject?: string | undefined;
  command?: string | undefined;
}

export class AuditLog {
  private readonly c: Collection<AuditEntry>;
  private readonly clock: Clock;
  private readonly owner: AuditOwner;
  private readonly alive: (pid: number) => boolean;
  private readonly redact: <T>(v: T) => T;
  private ready: Promise<void> | undefined;

  constructor(store: Store, opts: AuditOptions = {}) {
    this.c = store.collection<AuditEntry>('audit');
    this.clock = opts.clock ?? systemClock;
    this.owner = opts.owner ?? thisProcess;
    this.alive = opts.alive ?? pidAlive;
    this.redact = opts.redactor ? (v) => (opts.redactor as Redactor).value(v) : (v) => v;
  }

  /** Indexes, then the entries left `started` by a dead process of this host are marked `interrupted`. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      await Promise.all([this.c.createIndex({ at: -1 }), this.c.createIndex({ subject: 1 }), this.c.createIndex({ state: 1 })]);
      await this.markInterrupted();
    })();
    return this.ready;
  }

  /** Before a write or dangerous command runs. Throws when the entry cannot be written: the command must not run then. */
  async begin(entry: StartedEntry, timeoutMs: number): Promise<void> {
    await this.init();
    const at = this.clock.date();
    const { channel, ...rest } = entry;
    await this.c.insertOne({
      ...rest,
      ...(channel ? { channel } : {}),
      _id: entry.invocationId,
      at,
      decision: 'allowed',
      state: 'started',
      owner: this.owner,
      deadline: new Date(at.getTime() + timeoutMs + DEADLINE_GRACE_MS),
      version: 1,
    });
  }

  /**
   * After it ran: sets the outcome on the `started` entry, conditioned on the version read. An
   * entry another process marked `interrupted` meanwhile is completed all the same (the outcome
   * is known after all); a completed entry is never overwritten.
   */
  async complete(invocationId: string, done: Completion): Promise<boolean> {
    await this.init();
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const cur = await this.c.findOne({ _id: invocationId });
      if (!cur || (cur.state !== 'started' && cur.state !== 'interrupted')) return false;
      const updated = await this.c.updateOne({ _id: invocationId, version: cur.version }, {
        $set: { ...completion(done), state: stateOf(done.outcome), finishedAt: this.clock.date() },
        $inc: { version: 1 },
      });
      if (updated.matched === 1) return true;
    }
    return false;
  }

  /** One completed entry: reads, denials, usage errors, dry runs. */
  async record(entry: CompletedEntry): Promise<void> {
    await this.init();
    const { channel, outcome, code, message, durationMs, at, ...rest } = entry;
    await this.c.insertOne({
      ...rest,
      at: at ?? this.clock.date(),
      ...(channel ? { channel } : {}),
      ...completion({ outcome, code, message, durationMs }),
      _id: entry.invocationId,
      state: stateOf(outcome),
      version: 1,
    });
  }

  /** A request an adapter refused before it became an invocation (bad options, an expired button). */
  async rejected(r: Rejection): Promise<void> {
    await this.init();
    const id = r.invocationId ?? newId();
    await this.c.insertOne({
      _id: id, invocationId: id, at: this.clock.date(), subject: r.subject, surface: SYSTEM_SURFACE, origin: r.origin,
      ...(r.channel ? { channel: r.channel } : {}),
      command: `rejected ${r.what}`, args: {}, line: this.redact(r.line ?? '').slice(0, 500),
      decision: 'rejected', state: 'failed', outcome: 'usage', code: r.code, message: this.redact(r.message), durationMs: 0, version: 1,
    });
  }

  /** Something the bot did by itself (an alert group opened, a silence expired, a storm released). */
  async systemEvent(e: SystemEvent): Promise<void> {
    await this.init();
    const id = newId();
    await this.c.insertOne({
      _id: id, invocationId: id, at: this.clock.date(), subject: e.subject ?? SYSTEM_SUBJECT, surface: SYSTEM_SURFACE,
      command: e.action, args: {}, line: e.action, decision: 'system', state: 'ok', outcome: 'ok', durationMs: 0,
      ...(e.message ? { message: this.redact(e.message) } : {}), ...(e.detail ? { detail: this.redact(e.detail) } : {}), version: 1,
    });
  }

  /** Newest first. A `started` entry past its deadline reads `interrupted` (its process is gone, wherever it ran). */
  async list(opts: ListOptions): Promise<AuditEntry[]> {
    await this.init();
    const filter: Record<string, unknown> = {};
    if (opts.subject) filter.subject = opts.subject.includes(':') ? opts.subject : { $regex: new RegExp(`(^|:)${escapeRegExp(opts.subject)}$`) };
    if (opts.command) filter.command = opts.command;
    const now = this.clock.now();
    return (await this.c.find(filter, { sort: { at: -1 }, limit: opts.limit })).map((e) => readable(e, now));
  }

  /**
   * Marks `interrupted` the `started` entries whose owning process is certainly gone (same host,
   * pid not alive or taken over by this process). Each by compare-and-set on its version.
   * Entries of a live `opsbot exec` or of another host are left alone.
   */
  async markInterrupted(): Promise<number> {
    const started = await this.c.find({ state: 'started' });
    let marked = 0;
    for (const e of started) {
      if (!e.owner || !ownerGone(e.owner, this.owner, this.alive)) continue;
      const r = await this.c.updateOne({ _id: e._id, version: e.version, state: 'started' }, {
        $set: { state: 'interrupted', finishedAt: this.clock.date(), message: `its process (pid ${e.owner.pid} on ${e.owner.host}) ended before it completed` },
        $inc: { version: 1 },
      });
      marked += r.modified;
    }
    return marked;
  }
}

function completion(done: Completion): Pick<AuditEntry, 'outcome' | 'durationMs'> & Partial<Pick<AuditEntry, 'code' | 'message'>> {
  return {
    outcome: done.outcome,
    durationMs: done.durationMs,
    ...(done.code ? { code: done.code } : {}),
    ...(done.message ? { message: done.message } : {}),
  };
}

/** Entries from before states existed get theirs from the outcome; overdue `started` ones read `interrupted`. */
function readable(e: AuditEntry, now: number): AuditEntry {
  const state = e.state ?? (e.outcome ? stateOf(e.outcome) : 'started');
  if (state === 'started' && e.deadline && new Date(e.deadline).getTime() < now) {
    return { ...e, state: 'interrupted', message: e.message ?? 'it did not complete before its deadline' };
  }
  return { ...e, state };
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

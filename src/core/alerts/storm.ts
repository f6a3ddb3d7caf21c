/**
 * Storm digests: when more new groups arrive for one channel than `storm.threshold` per
 * `storm.window`, the extra groups are named in a digest message (one per `digestMaxGroups`)
 * instead of getting a message each. A digest closes when no group joined it for a window.
 * Every change is a compare-and-set on the digest's version; a channel's digests are numbered
 * (`seq`), and the id derives from channel and number, so two processes opening the next digest
 * at once create one.
 */
import { createHash } from 'node:crypto';
import { changeById, compareAndSet, ConflictError, MAX_CAS_TRIES } from '../compare-and-set.js';
import { isDuplicateKey, type Collection } from '../store/types.js';

export interface Digest {
  _id: string;
  channel: string;
  /** The digest's number in its channel (1, 2, …); absent on digests written before numbering. */
  seq?: number;
  groups: string[];
  open: boolean;
  released?: boolean;
  createdAt: Date;
  lastAddedAt: Date;
  version?: number;
}

/** How often a digest was rendered (atomic increment; apart from the digest so its `groups` index is not rewritten each time). */
export interface DigestRenders {
  _id: string;
  n: number;
}

export const digestId = (channel: string, seq: number) => `${createHash('sha256').update(channel).digest('hex').slice(0, 10)}-${seq}`;

export class DigestBook {
  constructor(private readonly c: Collection<Digest>, private readonly renders: Collection<DigestRenders>, private maxGroups: number) {}

  /** Groups a digest names before a new one starts, for digests started or joined from now on (a config reload). */
  setMaxGroups(n: number): void {
    this.maxGroups = n;
  }

  init(): Promise<void> {
    return Promise.all([this.c.createIndex({ channel: 1 }), this.c.createIndex({ channel: 1, seq: 1 }), this.c.createIndex({ open: 1 }), this.c.createIndex({ groups: 1 })]).then(() => undefined);
  }

  /** The digest that names `groupId` on `channel`, if any. */
  holding(channel: string, groupId: string): Promise<Digest | null> {
    // `groups` first: the embedded store uses the index of the last usable field, MongoDB its planner.
    return this.c.findOne({ channel, groups: groupId });
  }

  holdingById(id: string): Promise<Digest | null> {
    return this.c.findOne({ _id: id });
  }

  /** Adds a group to the channel's open digest (a new one when full); returns the digest. */
  async add(channel: string, groupId: string, now: Date): Promise<Digest> {
    return (await this.addMany(channel, [groupId], now))[0] as Digest;
  }

  /**
   * Adds groups to the channel's open digest, opening the next one whenever it is full; returns
   * the digest of each group, in their order. A group some digest already names stays there.
   * Each digest is written once per call (compare-and-set), however many groups join it.
   */
  async addMany(channel: string, groupIds: string[], now: Date): Promise<Digest[]> {
    const placed = new Map<string, Digest>();
    let unplaced = [...new Set(groupIds)];
    for (let conflicts = 0; unplaced.length; ) {
      if (conflicts >= MAX_CAS_TRIES) throw new ConflictError(this.c.name, channel, MAX_CAS_TRIES);
      const wanted = new Set(unplaced);
      for (const d of await this.c.find({ channel, groups: { $in: unplaced } })) for (const id of d.groups) if (wanted.has(id)) placed.set(id, d);
      unplaced = unplaced.filter((id) => !placed.has(id));
      if (!unplaced.length) break;
      // The channel's latest digest: joined while open and not full, else the next one is opened.
      const last = await this.c.findOne({ channel }, { sort: { seq: -1 } });
      if (last?.open && last.groups.length < this.maxGroups) {
        const joining = unplaced.slice(0, this.maxGroups - last.groups.length);
        const next = { ...last, groups: [...last.groups, ...joining], lastAddedAt: now };
        if ((await compareAndSet(this.c, last, next)) === 'conflict') { conflicts++; continue; }
        const stored = { ...next, version: (last.version ?? 0) + 1 };
        for (const id of joining) placed.set(id, stored);
        unplaced = unplaced.slice(joining.length);
        continue;
      }
      if (last?.open && (await compareAndSet(this.c, last, { ...last, open: false })) === 'conflict') { conflicts++; continue; }
      const seq = (last?.seq ?? 0) + 1;
      const joining = unplaced.slice(0, this.maxGroups);
      try {
        const created = await this.c.insertOne({ _id: digestId(channel, seq), channel, seq, groups: joining, open: true, createdAt: now, lastAddedAt: now, version: 1 });
        for (const id of joining) placed.set(id, created);
        unplaced = unplaced.slice(joining.length);
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // another process opened this digest: join it
        conflicts++;
      }
    }
    return groupIds.map((id) => placed.get(id) as Digest);
  }

  /**
   * Numbers the next render of a digest, then reads it: the render with the highest number read
   * the digest and its groups after every save that numbered a render before it. Null when it is gone.
   */
  async nextRender(id: string): Promise<{ digest: Digest; n: number } | null> {
    const r = await this.renders.findOneAndUpdate({ _id: id }, { $inc: { n: 1 } }, { upsert: true });
    const digest = await this.holdingById(id);
    return digest && r ? { digest, n: r.n } : null;
  }

  /** Digests whose storm is over (nothing joined them for `windowMs`) and whose groups are not released yet. */
  async quiet(now: Date, windowMs: number): Promise<Digest[]> {
    return this.c.find({ lastAddedAt: { $lt: new Date(now.getTime() - windowMs) }, released: { $ne: true } });
  }

  /** No further group joins this digest; false when it changed since `d` was read (a group joined: the storm goes on). */
  async markClosed(d: Digest): Promise<boolean> {
    return (await compareAndSet(this.c, d, { ...d, open: false })) !== 'conflict';
  }

  /** Closes a digest once its groups were released (after a crash in between, the release runs again). */
  async markReleased(id: string): Promise<void> {
    await changeById(this.c, id, (d) => ({ ...d, open: false, released: true }));
  }
}

/**
 * Storm digests: when more new groups arrive for one channel than `storm.threshold` per
 * `storm.window`, the extra groups are named in a digest message (one per `digestMaxGroups`)
 * instead of getting a message each. A digest closes when no group joined it for a window.
 */
import type { Collection } from '../store/types.js';

export interface Digest {
  _id: string;
  channel: string;
  groups: string[];
  open: boolean;
  createdAt: Date;
  lastAddedAt: Date;
}

export class DigestBook {
  constructor(private readonly c: Collection<Digest>, private readonly maxGroups: number) {}

  init(): Promise<void> {
    return Promise.all([this.c.createIndex({ channel: 1 }), this.c.createIndex({ open: 1 }), this.c.createIndex({ groups: 1 })]).then(() => undefined);
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
  async add(channel: string, groupId: string, now: Date, newId: () => string): Promise<Digest> {
    const existing = await this.holding(channel, groupId);
    if (existing) return existing;
    const open = await this.c.findOne({ channel, open: true }, { sort: { createdAt: -1 } });
    if (open && open.groups.length < this.maxGroups) {
      const d = await this.c.findOneAndUpdate({ _id: open._id }, { $addToSet: { groups: groupId }, $set: { lastAddedAt: now } });
      if (d) return d;
    }
    if (open) await this.c.updateOne({ _id: open._id }, { $set: { open: false } });
    return this.c.insertOne({ _id: newId(), channel, groups: [groupId], open: true, createdAt: now, lastAddedAt: now });
  }

  /** Digests whose storm is over (nothing joined them for `windowMs`) and whose groups are not released yet. */
  async quiet(now: Date, windowMs: number): Promise<Digest[]> {
    return this.c.find({ lastAddedAt: { $lt: new Date(now.getTime() - windowMs) }, released: { $ne: true } });
  }

  /** No further group joins this digest; false when one joined since `d` was read (the storm goes on). */
  async markClosed(d: Digest): Promise<boolean> {
    const r = await this.c.updateOne({ _id: d._id, lastAddedAt: d.lastAddedAt }, { $set: { open: false } });
    return r.matched > 0;
  }

  /** Closes a digest once its groups were released (after a crash in between, the release runs again). */
  async markReleased(id: string): Promise<void> {
    await this.c.updateOne({ _id: id }, { $set: { open: false, released: true } });
  }
}

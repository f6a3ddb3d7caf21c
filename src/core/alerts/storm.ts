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
    return Promise.all([this.c.createIndex({ channel: 1 }), this.c.createIndex({ open: 1 })]).then(() => undefined);
  }

  /** The digest that names `groupId` on `channel`, if any. */
  holding(channel: string, groupId: string): Promise<Digest | null> {
    return this.c.findOne({ channel, groups: groupId });
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

  /** Digests whose storm is over: nothing joined them for `windowMs`. They are closed and returned. */
  async closeQuiet(now: Date, windowMs: number): Promise<Digest[]> {
    const quiet = await this.c.find({ lastAddedAt: { $lt: new Date(now.getTime() - windowMs) }, released: { $ne: true } });
    for (const d of quiet) await this.c.updateOne({ _id: d._id }, { $set: { open: false, released: true } });
    return quiet;
  }
}

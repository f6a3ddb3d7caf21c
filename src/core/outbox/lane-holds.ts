/**
 * A channel's Retry-After, kept in the store (`<outbox>_lanes`, one record per channel) so that a
 * restart, or another replica taking the channel over, waits out the rest of a 429's wait instead
 * of calling the chat API again at once. A later hold never shortens an earlier one; every change
 * is a compare-and-set on the record's version.
 */
import { changeById, type Versioned } from '../compare-and-set.js';
import { isDuplicateKey, type Collection, type Store } from '../store/types.js';

export interface LaneHoldRecord extends Versioned {
  /** The channel (`slack:C0123`). */
  _id: string;
  /** No call on this channel before this time (the chat API's Retry-After). */
  blockedUntil: Date;
  version: number;
}

export class LaneHolds {
  readonly c: Collection<LaneHoldRecord>;

  constructor(store: Store, name: string) {
    this.c = store.collection<LaneHoldRecord>(name);
  }

  /** When the channel may be called again (0: now). */
  async blockedUntil(channel: string): Promise<number> {
    const r = await this.c.findOne({ _id: channel });
    return r ? new Date(r.blockedUntil).getTime() : 0;
  }

  /** Holds the channel until `until`, unless it is already held longer. */
  async hold(channel: string, until: number): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const changed = await changeById(this.c, channel, (cur) => (new Date(cur.blockedUntil).getTime() >= until ? undefined : { ...cur, blockedUntil: new Date(until) }));
      if (changed) return;
      try {
        await this.c.insertOne({ _id: channel, blockedUntil: new Date(until), version: 1 });
        return;
      } catch (e) {
        // Another replica created it in between: change that one.
        if (!isDuplicateKey(e)) throw e;
      }
    }
  }
}

/**
 * Every change of a stored group: read it, compute the next state, queue what chat should show
 * (fan-out), and save by compare-and-set on its version; on conflict read again and re-apply the
 * change. When an attempt that queued messages lost, and the retry changes nothing (or fails),
 * the stored state is shown again, so what a lost attempt queued never stays.
 */
import { compareAndSet, ConflictError, MAX_CAS_TRIES, nextVersion } from '../compare-and-set.js';
import { UserError } from '../errors.js';
import type { Collection } from '../store/types.js';
import type { AlertFanout } from './fanout.js';
import type { AlertGroup } from './group.js';
import { KeyedMutex } from './keyed-mutex.js';

export interface Changed {
  before: AlertGroup;
  after: AlertGroup;
  changed: boolean;
}

export class GroupWriter {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly groups: Collection<AlertGroup>, private readonly fanout: AlertFanout) {}

  async get(id: string): Promise<AlertGroup> {
    const g = await this.groups.findOne({ _id: id });
    if (!g) throw new UserError('not_found', `No alert group ${id}. \`alerts\` lists the open ones.`);
    return g;
  }

  /**
   * Saves `next` over `cur` (queuing its messages first when `notify`): `written`, or `conflict`
   * when the group changed since `cur` was read.
   */
  async save(cur: AlertGroup, next: AlertGroup, notify = true): Promise<'written' | 'conflict'> {
    next.version = nextVersion(cur);
    const digests = notify ? await this.fanout.notify(cur, next) : [];
    const r = await compareAndSet(this.groups, cur, next);
    if (r === 'conflict') return 'conflict';
    if (r === 'unchanged') next.version = cur.version;
    else this.fanout.saved(cur, next);
    await this.fanout.rerenderDigests(digests, next);
    return 'written';
  }

  /**
   * Changes group `id` with `fn` (undefined: nothing to change; a throw, e.g. a user error, ends
   * it), retried against a fresh read on conflict. Serialised per group in this process.
   */
  change(id: string, groupKey: string | undefined, fn: (g: AlertGroup) => AlertGroup | undefined | Promise<AlertGroup | undefined>, opts: { notify?: boolean } = {}): Promise<Changed> {
    const run = () => this.changeNow(id, fn, opts.notify ?? true);
    return groupKey === undefined ? run() : this.mutex.run(groupKey, run);
  }

  /** Runs `fn` serialised with the other changes of `groupKey` in this process. */
  serialised<T>(groupKey: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(groupKey, fn);
  }

  /** Shows the stored state again after an attempt that queued messages lost its compare-and-set. */
  async repaint(id: string): Promise<void> {
    const g = await this.groups.findOne({ _id: id });
    if (g) await this.fanout.repaint(g);
  }

  private async changeNow(id: string, fn: (g: AlertGroup) => AlertGroup | undefined | Promise<AlertGroup | undefined>, notify: boolean): Promise<Changed> {
    let lost = false;
    try {
      for (let i = 0; i < MAX_CAS_TRIES; i++) {
        const cur = await this.get(id);
        const next = await fn(cur);
        if (!next) return { before: cur, after: cur, changed: false };
        if ((await this.save(cur, next, notify)) === 'written') {
          lost = false;
          return { before: cur, after: next, changed: true };
        }
        lost = notify;
      }
      throw new ConflictError('alert_groups', id, MAX_CAS_TRIES);
    } finally {
      if (lost) await this.repaint(id);
    }
  }
}

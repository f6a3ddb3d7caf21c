/** The backup catalog: one record per backup in the store's `backups` collection. */
import type { Collection, Filter, Store } from '../../core/store/types.js';
import type { BackupRecord } from './types.js';

export class BackupCatalog {
  private indexed?: Promise<void>;

  constructor(private readonly coll: Collection<BackupRecord>) {}

  static of(store: Store): BackupCatalog {
    return new BackupCatalog(store.collection<BackupRecord>('backups'));
  }

  private ready(): Promise<void> {
    this.indexed ??= this.coll.createIndex({ target: 1, startedAt: -1 }).catch(() => undefined);
    return this.indexed;
  }

  async insert(rec: BackupRecord): Promise<void> {
    await this.ready();
    await this.coll.insertOne(rec);
  }

  async update(id: string, set: Partial<BackupRecord>): Promise<void> {
    await this.coll.updateOne({ _id: id }, { $set: set });
  }

  /** A record of this target by id (an id of another target is "not found"). */
  get(target: string, id: string): Promise<BackupRecord | null> {
    return this.coll.findOne({ _id: id, target });
  }

  /** Newest first. */
  async list(target: string, opts: { job?: string; status?: BackupRecord['status']; safety?: boolean; since?: Date; limit?: number } = {}): Promise<BackupRecord[]> {
    await this.ready();
    const filter: Filter = { target };
    if (opts.job) filter.job = opts.job;
    if (opts.status) filter.status = opts.status;
    if (opts.safety !== undefined) filter.safety = opts.safety ? true : { $ne: true };
    if (opts.since) filter.startedAt = { $gte: opts.since };
    return this.coll.find(filter, { sort: { startedAt: -1 }, ...(opts.limit ? { limit: opts.limit } : {}) });
  }

  /** The newest successful (optionally: verified) backup of a job, safety copies excluded. */
  async latest(target: string, job: string, opts: { verified?: boolean } = {}): Promise<BackupRecord | null> {
    const filter: Filter = { target, job, status: 'ok', safety: { $ne: true } };
    if (opts.verified) filter.verified = true;
    return this.coll.findOne(filter, { sort: { startedAt: -1 } });
  }

  /** Records left `running` by a bot that stopped mid-run become failed; returns how many. */
  async markInterrupted(target: string, at: Date): Promise<number> {
    const r = await this.coll.updateMany({ target, status: 'running' }, { $set: { status: 'failed', error: 'interrupted: opsbot stopped during this run', finishedAt: at } });
    return r.modified;
  }

  async remove(id: string): Promise<void> {
    await this.coll.deleteOne({ _id: id });
  }
}

/** What the `backup-fresh` probe needs from the catalog. */
export interface BackupFreshness {
  jobsOf(target: string): string[];
  latestVerified(target: string, job: string): Promise<BackupRecord | null>;
}

/** The audit trail: one record per invocation, in the store, arguments redacted. */
import type { Collection, Store } from './store/types.js';

export type Decision = 'allowed' | 'denied' | 'invalid' | 'unknown' | 'dry-run';
export type Outcome = 'ok' | 'failed' | 'denied' | 'usage' | 'error';

export interface AuditEntry {
  _id: string;
  at: Date;
  invocationId: string;
  subject: string;
  surface: string;
  channel?: string;
  /** The invocation that started this one through the CommandRunner. */
  parentInvocationId?: string;
  command: string;
  args: Record<string, unknown>;
  line: string;
  decision: Decision;
  outcome: Outcome;
  durationMs: number;
  message?: string;
}

export class AuditLog {
  private readonly c: Collection<AuditEntry>;
  private ready: Promise<void> | undefined;

  constructor(store: Store) {
    this.c = store.collection<AuditEntry>('audit');
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([this.c.createIndex({ at: -1 }), this.c.createIndex({ subject: 1 })]).then(() => undefined);
    return this.ready;
  }

  async record(entry: Omit<AuditEntry, '_id'>): Promise<void> {
    await this.init();
    await this.c.insertOne({ ...entry, _id: entry.invocationId });
  }

  async list(opts: { limit: number; subject?: string | undefined; command?: string | undefined }): Promise<AuditEntry[]> {
    await this.init();
    const filter: Record<string, unknown> = {};
    if (opts.subject) filter.subject = opts.subject.includes(':') ? opts.subject : { $regex: new RegExp(`(^|:)${escapeRegExp(opts.subject)}$`) };
    if (opts.command) filter.command = opts.command;
    return this.c.find(filter, { sort: { at: -1 }, limit: opts.limit });
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What every part of the approvals service shares: its options, the `approvals` collection, the
 * owning process, and the work it started (so `stop` can wait for it).
 */
import type { Logger } from 'pino';
import type { Collection, Store } from '../store/types.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../audit/log.js';
import type { AuditOwner } from '../audit/entry.js';
import { pidAlive, thisProcess } from '../audit/owner.js';
import type { Rbac } from '../rbac.js';
import type { Redactor } from '../redact.js';
import type { Reply } from '../reply.js';
import type { ApprovalsPolicyConfig } from './policy.js';
import type { ApprovalRequest } from './request.js';

/** Where messages go: the outbox (one document per message key; the same key again updates it in place). */
export interface MessageQueue {
  enqueue(key: string, channel: string, reply: Reply, opts?: { kind?: 'message' | 'reply'; parent?: string; priority?: number }): Promise<void>;
}

export interface ApprovalServiceOptions {
  store: Store;
  config: ApprovalsPolicyConfig;
  rbac: Rbac;
  environmentOf: (target: string) => string | undefined;
  messages: MessageQueue;
  audit: AuditLog;
  redactor: Redactor;
  log: Logger;
  clock: Clock;
  /** Longest an approved command may run before its record may read `interrupted` (plus a grace). */
  commandTimeoutMs: number;
  /** Surfaces that have a chat gateway (requests asked elsewhere go to the policy channel only). */
  chatSurfaces?: readonly string[];
  owner?: AuditOwner;
  alive?: (pid: number) => boolean;
}

/** Compare-and-set attempts before a decision gives up with `conflict`. */
export const CAS_RETRIES = 20;

export class ApprovalContext {
  readonly c: Collection<ApprovalRequest>;
  readonly owner: AuditOwner;
  readonly alive: (pid: number) => boolean;
  private readonly running = new Set<Promise<unknown>>();
  private ready: Promise<void> | undefined;

  constructor(readonly o: ApprovalServiceOptions) {
    this.c = o.store.collection<ApprovalRequest>('approvals');
    this.owner = o.owner ?? thisProcess;
    this.alive = o.alive ?? pidAlive;
  }

  init(): Promise<void> {
    this.ready ??= Promise.all([this.c.createIndex({ state: 1 }), this.c.createIndex({ createdAt: -1 })]).then(() => undefined);
    return this.ready;
  }

  async find(id: string): Promise<ApprovalRequest | null> {
    await this.init();
    return this.c.findOne({ _id: id.trim().toLowerCase() });
  }

  /** Keeps hold of work started in the background (executions, expiries). */
  track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.then(() => this.running.delete(p), () => this.running.delete(p));
    return p;
  }

  /** Resolves when nothing tracked is still running. */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}

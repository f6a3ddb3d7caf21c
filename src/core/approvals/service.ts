/**
 * The approvals service: one object for the bot to wire and the handlers to call, composed of
 * the gate (gate.ts), the decisions (decisions.ts), the one execution and crash recovery
 * (execution.ts), expiry (expiry.ts) and messages and listeners (messages.ts).
 */
import type { Subject } from '../command.js';
import type { CommandRunner, Gate } from '../invocation.js';
import type { Reply } from '../reply.js';
import type { ApprovalDecided, ApprovalEvents } from './port.js';
import type { ApprovalRequest } from './request.js';
import { ApprovalContext, type ApprovalServiceOptions } from './context.js';
import { ApprovalMessages } from './messages.js';
import { ApprovalExpiry } from './expiry.js';
import { ApprovalExecution } from './execution.js';
import { ApprovalGate } from './gate.js';
import { ApprovalDecisions } from './decisions.js';
import type { ApprovalsPolicyConfig } from './policy.js';
import { recheckPending, type RecheckOutcome } from './recheck.js';

export type { ApprovalServiceOptions, MessageQueue } from './context.js';
export type { RecheckOutcome } from './recheck.js';

export class ApprovalService implements ApprovalEvents {
  private readonly ctx: ApprovalContext;
  private readonly messages: ApprovalMessages;
  private readonly expiry: ApprovalExpiry;
  private readonly execution: ApprovalExecution;
  private readonly decisions: ApprovalDecisions;
  private readonly holds: ApprovalGate;

  constructor(o: ApprovalServiceOptions) {
    this.ctx = new ApprovalContext(o);
    this.messages = new ApprovalMessages(this.ctx);
    this.expiry = new ApprovalExpiry(this.ctx, this.messages);
    this.execution = new ApprovalExecution(this.ctx, this.messages);
    this.decisions = new ApprovalDecisions(this.ctx, this.messages, this.expiry, this.execution);
    this.holds = new ApprovalGate(this.ctx, this.messages, this.expiry);
  }

  /** The router's runner, through which approved commands run (set once the router exists). */
  set runner(r: CommandRunner) {
    this.execution.runner = r;
  }

  /** The gate for the router. */
  readonly gate: Gate = (call) => this.holds.hold(call);

  onDecided(listener: (e: ApprovalDecided) => void | Promise<void>): () => void {
    return this.messages.onDecided(listener);
  }

  /**
   * The approvals rules of a reloaded config: new calls are held by them at once, then every
   * pending request is re-checked (recheck.ts): one the new rules would not hold the same way is
   * cancelled with its reason, never made executable.
   */
  async setPolicy(config: ApprovalsPolicyConfig): Promise<RecheckOutcome> {
    this.ctx.o.config = config;
    return this.ctx.track(recheckPending(this.ctx, this.messages, this.expiry, config));
  }

  /** After a restart: executions cut short are `interrupted`; pending requests expire on time (overdue ones now). */
  async start(): Promise<void> {
    await this.ctx.init();
    await this.execution.markInterrupted();
    await this.expiry.start();
  }

  /** Stops the timers and waits for executions under way. */
  async stop(): Promise<void> {
    this.expiry.stop();
    await this.settled();
  }

  /** Resolves when nothing this service started (executions, expiries, messages) is still running. */
  settled(): Promise<void> {
    return this.ctx.settled();
  }

  find(id: string): Promise<ApprovalRequest | null> {
    return this.ctx.find(id);
  }

  /** Newest first: open ones, or (all) every one. */
  async list(opts: { all?: boolean; limit?: number } = {}): Promise<ApprovalRequest[]> {
    await this.ctx.init();
    const filter = opts.all ? {} : { state: { $in: ['pending', 'approved', 'executing'] } };
    return this.ctx.c.find(filter, { sort: { createdAt: -1 }, limit: opts.limit ?? 50 });
  }

  approve(id: string, who: Subject): Promise<Reply> {
    return this.decisions.approve(id, who);
  }

  deny(id: string, who: Subject, reason: string | undefined): Promise<Reply> {
    return this.decisions.deny(id, who, reason);
  }

  /** The requester (the same person, on any surface) withdraws their request. */
  cancel(id: string, who: Subject): Promise<Reply> {
    return this.decisions.cancel(id, who);
  }

  /** May this subject see the request: the requester, an approver for it, or someone allowed the command there. */
  canSee(req: ApprovalRequest, who: Subject): boolean {
    return this.decisions.canSee(req, who);
  }

  /** Expires a pending request whose deadline has passed (any process may; the compare-and-set lets one). */
  expire(id: string): Promise<boolean> {
    return this.expiry.expire(id);
  }

  /** Approved or executing records whose process is gone or whose deadline passed: `interrupted`, never re-run. */
  markInterrupted(): Promise<number> {
    return this.execution.markInterrupted();
  }
}

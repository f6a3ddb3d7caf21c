/**
 * Expiry on the injected clock: one timer per pending request, recomputed from the stored
 * deadline (after a restart too); an overdue request expires at once. Any process may expire a
 * request; the compare-and-set lets one.
 */
import type { Timer } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { ApprovalRequest } from './request.js';
import { CAS_RETRIES, type ApprovalContext } from './context.js';
import type { ApprovalMessages } from './messages.js';
import { closeRequest, type ExpiryTimers } from './close.js';

export class ApprovalExpiry implements ExpiryTimers {
  private readonly timers = new Map<string, Timer>();
  private stopped = false;

  constructor(private readonly ctx: ApprovalContext, private readonly messages: ApprovalMessages) {}

  /** Timers for every pending request (at start-up). */
  async start(): Promise<void> {
    this.stopped = false;
    for (const r of await this.ctx.c.find({ state: 'pending' })) this.schedule(r);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  /** Expires a pending request whose deadline has passed. */
  async expire(id: string): Promise<boolean> {
    const { ctx } = this;
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await ctx.c.findOne({ _id: id });
      if (!req || req.state !== 'pending') return false;
      if (req.expiresAt.getTime() > ctx.o.clock.now()) {
        this.schedule(req);
        return false;
      }
      if (await closeRequest(ctx, this.messages, this, req, 'expired', {})) {
        ctx.o.log.info({ approval: id }, 'approval request expired');
        await ctx.o.audit.systemEvent({ action: 'approval.expired', message: `${id} expired unapproved: ${req.line}`, detail: { request: id, invocationId: req.invocationId } });
        return true;
      }
    }
    return false;
  }

  schedule(req: ApprovalRequest): void {
    if (this.stopped) return;
    this.cancel(req._id);
    const ms = new Date(req.expiresAt).getTime() - this.ctx.o.clock.now();
    if (ms <= 0) {
      void this.ctx.track(this.expireLogged(req._id));
      return;
    }
    this.timers.set(req._id, this.ctx.o.clock.setTimeout(() => {
      this.timers.delete(req._id);
      void this.ctx.track(this.expireLogged(req._id));
    }, ms));
  }

  cancel(id: string): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
  }

  private expireLogged(id: string): Promise<unknown> {
    return this.expire(id).catch((e: unknown) => this.ctx.o.log.error({ err: e, approval: id }, `expiry failed: ${errorMessage(e)}`));
  }
}

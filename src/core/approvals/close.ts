/** pending → a final state (denied, expired, cancelled) by compare-and-set; posts the message and tells listeners. */
import type { ApprovalEnd } from './port.js';
import type { ApprovalRequest } from './request.js';
import { requestMessage } from './render.js';
import type { ApprovalContext } from './context.js';
import type { ApprovalMessages } from './messages.js';

export type ClosedState = Exclude<ApprovalEnd, 'approved' | 'interrupted'>;

/** The request's expiry timer, cancelled once it is closed. */
export interface ExpiryTimers {
  cancel(id: string): void;
}

/** False when the record changed meanwhile (the caller re-reads and tries again). */
export async function closeRequest(ctx: ApprovalContext, messages: ApprovalMessages, timers: ExpiryTimers, req: ApprovalRequest, state: ClosedState, set: Partial<ApprovalRequest>): Promise<boolean> {
  const now = ctx.o.clock.date();
  const r = await ctx.c.updateOne({ _id: req._id, version: req.version, state: 'pending' }, { $set: { ...set, state, decidedAt: now }, $inc: { version: 1 } });
  if (r.matched === 0) return false;
  timers.cancel(req._id);
  const after = { ...req, ...set, state, decidedAt: now, version: req.version + 1 };
  await messages.post(after);
  if (state !== 'cancelled') await messages.tellRequester(after, requestMessage(after));
  await messages.emit({ requestId: req._id, state, ...(req.parentInvocationId ? { parentInvocationId: req.parentInvocationId } : {}) });
  return true;
}

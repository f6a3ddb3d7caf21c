/**
 * What other core services (runbooks, the scheduler) need of approvals: to hear how a request
 * they caused ended. A command held by the gate comes back from the router with
 * `RouterResult.pending.approval` (the request id); when the request is decided, the approvals
 * service executes the approved command through the router (as the requester, with
 * `approval: 'approved:<id>'` and the original parent invocation id) and tells every listener.
 */
import type { RouterResult } from '../invocation.js';

export type ApprovalEnd = 'approved' | 'denied' | 'expired' | 'cancelled' | 'interrupted';

export interface ApprovalDecided {
  requestId: string;
  state: ApprovalEnd;
  /** The invocation that asked (`RunOptions.parentInvocationId` of the held call), if any. */
  parentInvocationId?: string;
  /** The executed command's result, when approved and run. */
  result?: RouterResult;
}

export interface ApprovalEvents {
  /** Called once per request when it is decided (after the approved command ran). Returns an unsubscribe. */
  onDecided(listener: (e: ApprovalDecided) => void | Promise<void>): () => void;
}

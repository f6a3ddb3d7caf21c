/**
 * The decisions on a pending request: approve (the press that completes the count moves it to
 * `approved` and starts the one execution), deny, and cancel by the requester. Each is a
 * compare-and-set on the record's `version`, retried on conflict. Also who may see a request.
 */
import type { Subject } from '../command.js';
import { roleReaches } from '../rbac.js';
import type { Reply } from '../reply.js';
import { DEADLINE_GRACE_MS } from '../audit/log.js';
import { UserError } from '../errors.js';
import { actorName, personKey, type Actor, type ApprovalRequest } from './request.js';
import { CAS_RETRIES, type ApprovalContext } from './context.js';
import type { ApprovalMessages } from './messages.js';
import type { ApprovalExpiry } from './expiry.js';
import type { ApprovalExecution } from './execution.js';
import { closeRequest, type ClosedState } from './close.js';
import { cancelUnderNewRules, recheckReason } from './recheck.js';

export class ApprovalDecisions {
  constructor(
    private readonly ctx: ApprovalContext,
    private readonly messages: ApprovalMessages,
    private readonly expiry: ApprovalExpiry,
    private readonly execution: ApprovalExecution,
  ) {}

  /**
   * One approval. The record changes only by compare-and-set (pending, same version); the press
   * that completes the count moves it to `approved` and starts the one execution. Returns at once.
   */
  async approve(id: string, who: Subject): Promise<Reply> {
    const { o } = this.ctx;
    const subject = o.rbac.people.resolve(who);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.open(id);
      // The rules in force judge the press too: a reload's re-check may not have reached this request (it failed, or it raced the request's creation).
      const stale = recheckReason(req, o.config, o.environmentOf);
      if (stale) {
        if (!(await cancelUnderNewRules(this.ctx, this.messages, this.expiry, req, stale))) continue;
        throw new UserError('conflict', `Approval request ${req._id} no longer holds under the rules in force: ${stale}. It was cancelled; nothing was run.`);
      }
      if (personKey(req.requester) === personKey(subject)) {
        throw new UserError('denied', `You asked for ${req._id} yourself${subject.id !== req.requester.id ? ` (as ${req.requester.id})` : ''}: someone else must approve it. Nothing was run.`);
      }
      const role = this.authority(req, subject);
      if (!role) throw this.noAuthority(req, subject, 'approve');
      if (req.approvals.some((a) => personKey(a) === personKey(subject))) {
        throw new UserError('conflict', `You already approved ${req._id}; it needs ${req.count - req.approvals.length} more approval(s) from someone else.`);
      }
      const approvals = [...req.approvals, this.actor(subject)];
      const done = approvals.length >= req.count;
      const now = o.clock.date();
      const r = await this.ctx.c.updateOne({ _id: req._id, version: req.version, state: 'pending' }, {
        $set: {
          approvals,
          ...(done ? { state: 'approved', decidedAt: now, owner: this.ctx.owner, deadline: new Date(now.getTime() + o.commandTimeoutMs + DEADLINE_GRACE_MS) } : {}),
        },
        $inc: { version: 1 },
      });
      if (r.matched === 0) continue;
      const after: ApprovalRequest = { ...req, approvals, version: req.version + 1, ...(done ? { state: 'approved' as const, decidedAt: now, owner: this.ctx.owner } : {}) };
      await o.audit.systemEvent({ action: 'approval.approved', subject: subject.id, message: `${req._id} approved by ${actorName(subject)} (role ${role})`, detail: { request: req._id, invocationId: req.invocationId, role, count: `${approvals.length}/${req.count}` } });
      await this.messages.post(after);
      if (done) {
        this.expiry.cancel(req._id);
        this.execution.begin(req._id);
        return { title: `Approved ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `\`${req.line}\` runs now as ${actorName(req.requester)}; its result is posted in the request's thread.` }], visibility: 'ephemeral' };
      }
      return { title: `Approval recorded for ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `${approvals.length} of ${req.count}: it needs ${req.count - approvals.length} more approval(s) from someone else.` }], visibility: 'ephemeral' };
    }
    throw new UserError('conflict', `Approval request ${id} is changing under many hands; try again.`);
  }

  async deny(id: string, who: Subject, reason: string | undefined): Promise<Reply> {
    const { o } = this.ctx;
    const subject = o.rbac.people.resolve(who);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.open(id);
      if (personKey(req.requester) === personKey(subject)) {
        throw new UserError('denied', `That is your own request: withdraw it with \`approvals cancel ${req._id}\`.`);
      }
      const role = this.authority(req, subject);
      if (!role) throw this.noAuthority(req, subject, 'deny');
      const denial = { ...this.actor(subject), ...(reason ? { reason: o.redactor.text(reason) } : {}) };
      const ok = await this.close(req, 'denied', { denial });
      if (!ok) continue;
      await o.audit.systemEvent({ action: 'approval.denied', subject: subject.id, message: `${req._id} denied by ${actorName(subject)}${reason ? `: ${reason}` : ''}`, detail: { request: req._id, invocationId: req.invocationId, role } });
      return { title: `Denied ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `\`${req.line}\` will not run.` }], visibility: 'ephemeral' };
    }
    throw new UserError('conflict', `Approval request ${id} is changing under many hands; try again.`);
  }

  /** The requester (the same person, on any surface) withdraws their request. */
  async cancel(id: string, who: Subject): Promise<Reply> {
    const { o } = this.ctx;
    const subject = o.rbac.people.resolve(who);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.open(id);
      if (personKey(req.requester) !== personKey(subject)) throw new UserError('denied', `Only ${actorName(req.requester)}, who asked, may withdraw ${req._id}.`);
      const ok = await this.close(req, 'cancelled', { cancelledBy: this.actor(subject) });
      if (!ok) continue;
      await o.audit.systemEvent({ action: 'approval.cancelled', subject: subject.id, message: `${req._id} withdrawn`, detail: { request: req._id, invocationId: req.invocationId } });
      return { title: `Withdrawn ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `\`${req.line}\` will not run.` }], visibility: 'ephemeral' };
    }
    throw new UserError('conflict', `Approval request ${id} is changing under many hands; try again.`);
  }

  /** May this subject see the request: the requester, an approver for it, or someone allowed the command there. */
  canSee(req: ApprovalRequest, who: Subject): boolean {
    const { o } = this.ctx;
    const subject = o.rbac.people.resolve(who);
    if (personKey(req.requester) === personKey(subject)) return true;
    if (this.authority(req, subject)) return true;
    const touch = { ...(req.target ? { target: req.target } : {}), ...(req.environment ? { environment: req.environment } : {}) };
    return o.rbac.decide(subject, req.command, touch, o.environmentOf).allowed;
  }

  private close(req: ApprovalRequest, state: ClosedState, set: Partial<ApprovalRequest>): Promise<boolean> {
    return closeRequest(this.ctx, this.messages, this.expiry, req, state, set);
  }

  /** A request that can still be decided, or a UserError saying why not (and an overdue one expired on the way). */
  private async open(id: string): Promise<ApprovalRequest> {
    const req = await this.ctx.find(id);
    if (!req) throw new UserError('not_found', `No approval request ${id}. \`approvals\` lists the open ones.`);
    if (req.state === 'pending' && req.expiresAt.getTime() <= this.ctx.o.clock.now()) {
      await this.expiry.expire(req._id);
      throw new UserError('expired', `Approval request ${req._id} expired at ${req.expiresAt.toISOString()}. Nothing was run.`);
    }
    if (req.state !== 'pending') throw new UserError('conflict', `Approval request ${req._id} is already ${req.state}${decidedBy(req)}. Nothing more was done.`);
    return req;
  }

  /** The approver's authority: an approver role held whose targets and environments reach the request. */
  private authority(req: ApprovalRequest, subject: Subject): string | undefined {
    const { o } = this.ctx;
    return o.rbac.rolesOf(subject).find((name) => {
      const role = o.rbac.role(name);
      return req.approverRoles.includes(name) && role !== undefined && roleReaches(role, { ...(req.target ? { target: req.target } : {}), ...(req.environment ? { environment: req.environment } : {}) }, o.environmentOf);
    });
  }

  private actor(subject: Subject): Actor {
    return { subject: subject.id, ...(subject.person ? { person: subject.person } : {}), ...(subject.display ? { display: subject.display } : {}), at: this.ctx.o.clock.date() };
  }

  private noAuthority(req: ApprovalRequest, subject: Subject, verb: string): UserError {
    const where = req.target ? ` for ${req.target}${req.environment ? ` (${req.environment})` : ''}` : '';
    return new UserError('denied', `You may not ${verb} ${req._id}: it needs one of the roles ${req.approverRoles.join(', ')}${where}, and ${actorName(subject)} holds none that reaches it. Nothing was run.`);
  }
}

function decidedBy(r: ApprovalRequest): string {
  if (r.state === 'denied' && r.denial) return ` (denied by ${actorName(r.denial)})`;
  if (r.approvals.length && r.state !== 'pending') return ` (approved by ${r.approvals.map(actorName).join(', ')})`;
  return '';
}

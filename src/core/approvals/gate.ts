/**
 * The router's approval gate: a command matched by a policy is held as a new `pending` request
 * (with its dry-run description, so nobody approves blindly) and posted; a break-glass role runs
 * it at once, loudly; the service's own execution of an approved request passes.
 */
import type { AnyCommand, Subject } from '../command.js';
import type { Gate, GateHold } from '../invocation.js';
import { isDuplicateKey } from '../store/types.js';
import { UserError, errorMessage } from '../errors.js';
import { policyFor, type ApprovalPolicy } from './policy.js';
import { actorName, newRequestId, type ApprovalRequest } from './request.js';
import { breakGlassMessage, heldReply } from './render.js';
import type { ApprovalContext } from './context.js';
import type { ApprovalMessages } from './messages.js';
import type { ApprovalExpiry } from './expiry.js';

type GateCall = Parameters<Gate>[0] & { reason?: string | undefined };

export class ApprovalGate {
  constructor(private readonly ctx: ApprovalContext, private readonly messages: ApprovalMessages, private readonly expiry: ApprovalExpiry) {}

  async hold(call: GateCall): Promise<GateHold | undefined> {
    const { o } = this.ctx;
    const { invocation, command, target } = call;
    const subject = invocation.subject;
    if (invocation.approval?.startsWith('approved:')) {
      await this.checkApprovedExecution(invocation.approval.slice('approved:'.length), invocation.line);
      return undefined;
    }
    const environment = target ? o.environmentOf(target) : undefined;
    const found = policyFor(o.config, { command, target, environment, required: invocation.approval === 'required' });
    if (!found) return undefined;
    if ('missingDefault' in found) throw new UserError('denied', `\`${command.name}\` must be approved before it runs, but no approvals rule matches it and approvals.default is not configured. Nothing was run.`);
    const { policy, rule } = found;
    const breakGlass = o.config.breakGlass;
    if (breakGlass && o.rbac.rolesOf(subject).includes(breakGlass)) {
      await this.breakGlass(call, policy, breakGlass, environment);
      return undefined;
    }
    const reason = call.reason?.trim() || undefined;
    if (policy.reason === 'required' && !reason) {
      throw new UserError('usage', `\`${command.name}\`${target ? ` on ${target}` : ''} needs approval, and approvals.${rule} requires a reason: add --reason "why" to the command.`);
    }
    const description = await this.describe(command, call.args, subject);
    const now = o.clock.date();
    const asked = this.messages.askedChannel(invocation.surface, invocation.channel);
    const channels = [policy.channel ?? asked].filter((c): c is string => Boolean(c));
    const base: Omit<ApprovalRequest, '_id'> = {
      line: invocation.line, command: command.name, risk: command.risk,
      ...(target ? { target } : {}), ...(environment ? { environment } : {}),
      requester: subject, surface: invocation.surface,
      ...(invocation.channel ? { askedChannel: invocation.channel } : {}),
      invocationId: call.invocationId, ...(invocation.parentId ? { parentInvocationId: invocation.parentId } : {}),
      description, ...(reason ? { reason } : {}), rule,
      approverRoles: [...policy.approvers], count: policy.count, channels, approvals: [],
      createdAt: now, expiresAt: new Date(now.getTime() + policy.expires), state: 'pending', version: 1,
    };
    const req = await this.insert(base);
    o.log.info({ approval: req._id, command: command.name, target, requester: subject.id }, 'approval requested');
    await o.audit.systemEvent({ action: 'approval.requested', subject: subject.id, message: `${req._id}: ${req.line}`, detail: { request: req._id, invocationId: req.invocationId, target, environment, rule, approvers: req.approverRoles, count: req.count } });
    await this.messages.post(req);
    this.expiry.schedule(req);
    return { reply: heldReply(req), approval: req._id };
  }

  private async insert(base: Omit<ApprovalRequest, '_id'>): Promise<ApprovalRequest> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.c.insertOne({ ...base, _id: newRequestId() });
      } catch (e) {
        if (!isDuplicateKey(e) || attempt > 20) throw e;
      }
    }
  }

  /** The execution the service itself started: the request must be `executing` for this exact line. */
  private async checkApprovedExecution(id: string, line: string): Promise<void> {
    const req = await this.ctx.find(id);
    if (!req || req.state !== 'executing' || req.line !== line) {
      throw new UserError('denied', `approval ${id} does not cover \`${line}\` now${req ? ` (it is ${req.state})` : ''}. Nothing was run.`);
    }
  }

  private async describe(command: AnyCommand, args: unknown, subject: Subject): Promise<string> {
    const { o } = this.ctx;
    const access = o.rbac.accessFor(subject, command.permission ?? command.name, o.environmentOf);
    try {
      const what = command.describe ? await command.describe(args as never, access) : `run \`${command.name}\` with ${JSON.stringify(o.redactor.value(args))}`;
      return o.redactor.text(what);
    } catch (e) {
      // A description that fails (an unknown target) is shown as such: nobody approves blindly.
      return `(its dry run could not say: ${errorMessage(e)})`;
    }
  }

  private async breakGlass(call: Parameters<Gate>[0], policy: ApprovalPolicy, role: string, environment: string | undefined): Promise<void> {
    const { o } = this.ctx;
    const { invocation, target, invocationId } = call;
    const who = actorName(invocation.subject);
    o.log.warn({ invocationId, subject: invocation.subject.id, line: o.redactor.text(invocation.line), role }, 'break-glass: running a command that needs approval without one');
    await o.audit.systemEvent({ action: 'approval.break-glass', subject: invocation.subject.id, message: `break-glass (${role}): ${invocation.line}`, detail: { invocationId, target, environment, role } });
    const channel = policy.channel ?? this.messages.askedChannel(invocation.surface, invocation.channel);
    if (channel) await o.messages.enqueue(`bg:${invocationId}`, channel, o.redactor.reply(breakGlassMessage({ line: invocation.line, who, role, target, environment, invocationId })));
  }
}

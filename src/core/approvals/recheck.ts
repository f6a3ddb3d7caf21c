/**
 * Pending requests against the approvals rules of a reloaded config. A request is never made
 * executable by a reload: one whose command no longer needs approval, or whose policy changed
 * (other approver roles, another count), is cancelled with the reason, posted and audited, and
 * the requester asks again under the new rules. One whose policy is the same stays pending.
 * Who holds an approver role is read from RBAC at each press, so a reloaded `rbac` or `people`
 * applies to pending requests without a re-check here.
 */
import type { AnyCommand } from '../command.js';
import { actorName, type Actor, type ApprovalRequest } from './request.js';
import { policyFor, type ApprovalsPolicyConfig } from './policy.js';
import { CAS_RETRIES, type ApprovalContext } from './context.js';
import type { ApprovalMessages } from './messages.js';
import { closeRequest, type ExpiryTimers } from './close.js';

export interface RecheckOutcome {
  /** Request id → why it was cancelled. */
  cancelled: Record<string, string>;
  /** Pending requests whose policy is unchanged. */
  kept: string[];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Why the request cannot stay pending under `config` (and the targets' environments now), or
 * undefined when its policy is the same. A target moved to another environment is judged by
 * that environment's rule and roles: the request, held and approvable under the old one, goes.
 */
export function recheckReason(req: ApprovalRequest, config: ApprovalsPolicyConfig, environmentOf: (target: string) => string | undefined): string | undefined {
  if (req.target && environmentOf(req.target) !== req.environment) {
    return `its target ${req.target} changed environment on reload (${req.environment ?? 'none'} → ${environmentOf(req.target) ?? 'none'}): ask again`;
  }
  // A request of a runbook step marked `approval: true` was held by the default policy.
  const command = { name: req.command, risk: req.risk } as AnyCommand;
  const found = policyFor(config, { command, target: req.target, environment: req.environment, required: req.rule === 'default' });
  if (!found) return `\`${req.command}\` no longer needs approval under the reloaded rules: run it again`;
  if ('missingDefault' in found) return 'approvals.default was removed by the reload: nothing can approve it';
  const { policy } = found;
  if (!sameSet(policy.approvers, req.approverRoles) || policy.count !== req.count) {
    return `its approval rule changed on reload (approvers ${req.approverRoles.join(', ')} → ${policy.approvers.join(', ')}, count ${req.count} → ${policy.count}): ask again`;
  }
  return undefined;
}

/** Cancels a request the reloaded rules do not hold (compare-and-set: false when it was decided meanwhile), posted and audited. */
export async function cancelUnderNewRules(ctx: ApprovalContext, messages: ApprovalMessages, timers: ExpiryTimers, req: ApprovalRequest, why: string): Promise<boolean> {
  const by: Actor = { subject: 'system:config-reload', display: `the config reload (${why})`, at: ctx.o.clock.date() };
  if (!(await closeRequest(ctx, messages, timers, req, 'cancelled', { cancelledBy: by }))) return false;
  await ctx.o.audit.systemEvent({
    action: 'approval.cancelled', subject: by.subject,
    message: `${req._id} (\`${req.line}\` by ${actorName(req.requester)}) cancelled by the config reload: ${why}`,
    detail: { request: req._id, invocationId: req.invocationId, reason: why },
  });
  return true;
}

/** Re-checks every pending request; each cancellation is a compare-and-set (a decision meanwhile wins). */
export async function recheckPending(ctx: ApprovalContext, messages: ApprovalMessages, timers: ExpiryTimers, config: ApprovalsPolicyConfig): Promise<RecheckOutcome> {
  await ctx.init();
  const out: RecheckOutcome = { cancelled: {}, kept: [] };
  for (const first of await ctx.c.find({ state: 'pending' })) {
    let req: ApprovalRequest | null = first;
    for (let attempt = 0; req && req.state === 'pending' && attempt < CAS_RETRIES; attempt++) {
      const why = recheckReason(req, config, ctx.o.environmentOf);
      if (!why) {
        out.kept.push(req._id);
        break;
      }
      if (await cancelUnderNewRules(ctx, messages, timers, req, why)) {
        out.cancelled[req._id] = why;
        break;
      }
      req = await ctx.c.findOne({ _id: req._id });
    }
  }
  return out;
}

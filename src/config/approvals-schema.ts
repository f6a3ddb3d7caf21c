/**
 * The `approvals:` config section (README "Approvals"): which commands need a second person's
 * sign-off, from which roles, how many, for how long, where the request is posted, and the
 * break-glass role that may run without one. Role names are checked against `rbac.roles` here;
 * command names against the registry when the bot starts (`approvalCommandProblems`).
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms < 1000) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 5m, 30m, 2h; at least 1s)` });
    return z.NEVER;
  }
  return ms;
});

/** Where a request is posted: `slack:C0APPROVALS`, `discord:123456`, `console:approvals`. */
const channel = z.string().regex(/^(slack|discord|console):[^\s]+$/, 'A channel as <surface>:<id>: slack:C0APPROVALS, discord:<channel id>, console:<name>');

const policyShape = {
  /** Roles whose holders may approve (within those roles' targets and environments). */
  approvers: z.array(z.string().min(1)).min(1),
  /** Distinct people who must approve. */
  count: z.coerce.number().int().min(1).max(5).default(1),
  expires: durationMs.default(30 * 60_000),
  /** Default: the channel where it was asked. */
  channel: channel.optional(),
  /** `required`: the command must carry `--reason "…"`. */
  reason: z.enum(['required', 'optional']).default('optional'),
};

export const approvalPolicySchema = z.object(policyShape).strict();

export const approvalRuleSchema = z.object({
  /** Command names (`restart`, `"user unlock-all"`) or prefixes with `*` (`"backup *"`, `"*"`). */
  commands: z.array(z.string().min(1)).min(1),
  environments: z.array(z.string().min(1)).min(1).optional(),
  targets: z.array(z.string().min(1)).min(1).optional(),
  /** Only commands of this risk. */
  risk: z.enum(['write', 'dangerous']).optional(),
  ...policyShape,
}).strict();

export const approvalsSchema = z.object({
  /** A role that may run gated commands without approval (posted and audited as break-glass). */
  breakGlass: z.string().min(1).optional(),
  /** For a runbook step marked `approval: true` that no rule matches. */
  default: approvalPolicySchema.optional(),
  /** First matching rule wins; no rule, no approval. */
  rules: z.array(approvalRuleSchema).default([]),
}).strict();

export type ApprovalsConfig = z.infer<typeof approvalsSchema>;

/** Approver and break-glass roles must be defined roles. */
export function checkApprovalRoles(approvals: ApprovalsConfig, roles: string[], ctx: z.RefinementCtx): void {
  const check = (role: string, path: (string | number)[]) => {
    if (!roles.includes(role)) ctx.addIssue({ code: 'custom', path: ['approvals', ...path], message: `Unknown role "${role}" (defined: ${roles.join(', ') || 'none'})` });
  };
  if (approvals.breakGlass) check(approvals.breakGlass, ['breakGlass']);
  approvals.default?.approvers.forEach((r, i) => check(r, ['default', 'approvers', i]));
  approvals.rules.forEach((rule, n) => rule.approvers.forEach((r, i) => check(r, ['rules', n, 'approvers', i])));
}

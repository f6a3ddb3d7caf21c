/** Which approval policy applies to a call: the first matching rule, or the default for a step that requires one. */
import type { AnyCommand } from '../command.js';
import { matchesPattern } from '../rbac.js';

export interface ApprovalPolicy {
  approvers: string[];
  count: number;
  expires: number;
  channel?: string | undefined;
  reason: 'required' | 'optional';
}

export interface ApprovalRule extends ApprovalPolicy {
  commands: string[];
  environments?: string[] | undefined;
  targets?: string[] | undefined;
  risk?: 'write' | 'dangerous' | undefined;
}

export interface ApprovalsPolicyConfig {
  breakGlass?: string | undefined;
  default?: ApprovalPolicy | undefined;
  rules: ApprovalRule[];
}

/** The approvals commands themselves are never held (a catch-all rule would make them unreachable). */
export const APPROVAL_COMMANDS = ['approve', 'deny', 'approvals', 'approvals show', 'approvals cancel'] as const;

export function ruleMatches(rule: ApprovalRule, call: { command: AnyCommand; target?: string | undefined; environment?: string | undefined }): boolean {
  if (!rule.commands.some((p) => matchesPattern(p, call.command.name))) return false;
  if (rule.risk && rule.risk !== call.command.risk) return false;
  if (rule.environments && !(call.environment && rule.environments.some((p) => matchesPattern(p, call.environment as string)))) return false;
  if (rule.targets && !(call.target && rule.targets.some((p) => matchesPattern(p, call.target as string)))) return false;
  return true;
}

/** First matching rule wins; with `required` and no rule, the default. */
export function policyFor(config: ApprovalsPolicyConfig, call: { command: AnyCommand; target?: string | undefined; environment?: string | undefined; required: boolean }): { policy: ApprovalPolicy; rule: string } | { missingDefault: true } | undefined {
  if ((APPROVAL_COMMANDS as readonly string[]).includes(call.command.name)) return undefined;
  const i = config.rules.findIndex((r) => ruleMatches(r, call));
  if (i >= 0) return { policy: config.rules[i] as ApprovalRule, rule: `rules[${i}]` };
  if (!call.required) return undefined;
  return config.default ? { policy: config.default, rule: 'default' } : { missingDefault: true };
}

/** Rules naming commands that are not registered, as config problems with their key path. */
export function approvalCommandProblems(config: ApprovalsPolicyConfig, commands: readonly Pick<AnyCommand, 'name'>[]): string[] {
  const names = commands.map((c) => c.name);
  const problems: string[] = [];
  config.rules.forEach((rule, n) => rule.commands.forEach((p, i) => {
    if (p === '*' || names.some((name) => matchesPattern(p, name))) return;
    problems.push(`approvals.rules[${n}].commands[${i}]: "${p}" ${p.endsWith('*') ? 'matches no command' : 'is not a command'} (commands: ${names.join(', ')})`);
  }));
  return problems;
}

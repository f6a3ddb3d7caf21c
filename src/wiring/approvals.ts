/**
 * Approvals: the service that is the router's gate (requests, decisions, the one execution,
 * expiry timers on the clock), posting through the outbox. The router's runner is handed to it
 * once the router exists (`service.runner = router.runner`).
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { AuditLog } from '../core/audit.js';
import type { Rbac } from '../core/rbac.js';
import type { Redactor } from '../core/redact.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ApprovalService, approvalCommandProblems, type MessageQueue } from '../core/approvals/index.js';
import type { AnyCommand } from '../core/command.js';
import type { RunningConfig } from './reload/running-config.js';

export function wireApprovals(config: Config, deps: { store: Store; messages: MessageQueue; rbac: Rbac; audit: AuditLog; redactor: Redactor; log: Logger; running: RunningConfig; clock?: Clock | undefined }): ApprovalService {
  return new ApprovalService({
    store: deps.store,
    config: config.approvals,
    rbac: deps.rbac,
    environmentOf: (t) => deps.running.environmentOf(t),
    messages: deps.messages,
    audit: deps.audit,
    redactor: deps.redactor,
    log: deps.log.child({ component: 'approvals' }),
    clock: deps.clock ?? systemClock,
    commandTimeoutMs: config.bot.commandTimeout,
  });
}

/** `approvals.rules[].commands` must name registered commands (checked at start, after every command is registered). */
export function approvalConfigProblems(config: Config, commands: readonly AnyCommand[]): string[] {
  return approvalCommandProblems(config.approvals, commands);
}

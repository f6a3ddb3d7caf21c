/**
 * Applies a reloaded config (already validated, restart-only keys unchanged) to the running
 * bot's swappable holders. Every new piece is built first; only then are they swapped in, in one
 * synchronous run, so no command sees half a config. Pending approvals are re-checked after.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../core/errors.js';
import { People } from '../../core/people.js';
import { Rbac } from '../../core/rbac.js';
import type { AlertService } from '../../core/alerts/service.js';
import type { Outbox } from '../../core/outbox/index.js';
import type { RetentionSweeper } from '../../core/retention/sweeper.js';
import type { Scheduler } from '../../core/scheduler/scheduler.js';
import type { ApprovalService, RecheckOutcome } from '../../core/approvals/index.js';
import { jobDefinitions } from '../scheduler.js';
import { withOncallRoutes, type Oncall } from '../oncall.js';
import type { RunbooksWiring } from '../runbooks.js';
import type { RunningConfig } from './running-config.js';
import type { TargetServices } from './target-services.js';

/** The running bot's pieces a reload swaps. */
export interface LiveParts {
  rbac: Rbac;
  alerts: AlertService;
  outbox: Pick<Outbox, 'setRate'>;
  oncall: Pick<Oncall, 'oncall' | 'escalations' | 'handoffs' | 'people'>;
  scheduler: Scheduler;
  approvals: ApprovalService;
  runbooks: Pick<RunbooksWiring, 'reconfigure'>;
  /** The config in force, read by everything that looks a target up. */
  running: RunningConfig;
  /** The target-dependent services and commands, rebuilt when `targets` or `hosts` change. */
  targets: Pick<TargetServices, 'prepare'>;
  retention: Pick<RetentionSweeper, 'setAges'>;
}

export interface Applied {
  jobs: { added: string[]; removed: string[]; changed: string[] };
  approvals: RecheckOutcome;
  /** The re-check of pending approval requests failed (everything else applied): each is judged again at its next press. */
  approvalsRecheckFailed?: string;
  /** The target services and commands were rebuilt (`targets` or `hosts` changed). */
  targets: boolean;
}

/** What the target services are built from: a change in one means a new generation. */
const targetInputs = (c: Config) => [c.targets, c.hosts];

export async function applyConfig(parts: LiveParts, next: Config): Promise<Applied> {
  // Built first: a piece that cannot be made leaves everything as it was.
  const rbac = new Rbac(next.rbac, { people: new People(next.people) });
  const oncallPeople = new People(next.people);
  const alertPeople = new People(next.people);
  const routes = withOncallRoutes(next).alerting.routes;
  const jobs = jobDefinitions(next);
  const retention = isDeepStrictEqual(parts.running.config.retention, next.retention) ? undefined : next.retention;
  // Last of the builds: nothing after it can throw and leave its resources unclosed.
  const targets = isDeepStrictEqual(targetInputs(parts.running.config), targetInputs(next)) ? undefined : parts.targets.prepare(next);

  // Swapped together, with nothing awaited in between; the registry first (all or nothing).
  try {
    targets?.commit();
  } catch (e) {
    await targets?.discard();
    throw e;
  }
  parts.running.set(next);
  parts.rbac.adopt(rbac);
  parts.oncall.people.adopt(oncallPeople);
  parts.alerts.setRouting(routes, next.alerting.defaultChannel, alertPeople);
  parts.alerts.setSettings(next.alerting);
  parts.outbox.setRate(next.alerting.rate);
  parts.oncall.escalations.setPolicies(next.escalationPolicies);
  parts.oncall.oncall.setSchedules(next.schedules);
  parts.oncall.handoffs.setSchedules(next.schedules);
  parts.runbooks.reconfigure(next);
  if (retention) parts.retention.setAges(retention);
  const jobChanges = parts.scheduler.rearm(jobs);
  // Everything is swapped in by now: a failed re-check does not undo the reload (each press judges by the rules in force).
  const approvals = await parts.approvals.setPolicy(next.approvals).then(
    (outcome) => ({ approvals: outcome }),
    (e: unknown) => ({ approvals: { cancelled: {}, kept: [] }, approvalsRecheckFailed: errorMessage(e) }),
  );
  return { jobs: jobChanges, ...approvals, targets: targets !== undefined };
}

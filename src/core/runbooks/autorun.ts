/**
 * Runbooks an alert route starts by itself (`autoRun: true`) when a group opens: once per group
 * and runbook across processes, as a system subject, and only a runbook whose steps before its
 * first approval are all `read`.
 */
import type { Risk } from '../command.js';
import { errorMessage } from '../errors.js';
import { newInvocationId } from '../ids.js';
import type { RunbookDefinition } from './definition.js';
import type { RunRecord } from './run.js';
import type { RunbookAlert } from './values.js';
import type { RunbooksDeps, StartInput } from './ports.js';

/** Why a runbook may not run by itself: a step before its first approval that is not `read`. */
export function autoRunRefusal(def: RunbookDefinition | undefined, name: string, riskOf: ((line: string) => Risk | undefined) | undefined): string | undefined {
  if (!def) return `unknown runbook ${name}`;
  for (const [i, s] of def.steps.entries()) {
    if (s.kind === 'run' && s.approval) return undefined;
    const risk = riskOf?.(s.line);
    if (risk !== 'read') return `step ${i + 1} (${s.line}) is ${risk ?? 'of unknown risk'}, and only read steps may run before the first approval`;
  }
  return undefined;
}

/** The autoRun runbooks of the group's routes, each with the channels of the routes that name it. */
function autoRunsOf(group: RunbookAlert, autoRunOf: (route: string) => string | undefined): Map<string, string[]> {
  const byRunbook = new Map<string, string[]>();
  for (const r of group.routes ?? []) {
    const name = autoRunOf(r.route);
    if (name) byRunbook.set(name, [...(byRunbook.get(name) ?? []), r.channel]);
  }
  return byRunbook;
}

/** Starts the autoRun runbooks of a group that just opened; a refusal or a failed start is logged. */
export async function startAutoRuns(
  group: RunbookAlert,
  deps: Pick<RunbooksDeps, 'autoRunOf' | 'coordination' | 'log' | 'audit'>,
  refusal: (name: string) => string | undefined,
  startRun: (input: StartInput) => Promise<RunRecord>,
): Promise<void> {
  if (!deps.autoRunOf) return;
  for (const [name, channels] of autoRunsOf(group, deps.autoRunOf)) {
    const why = refusal(name);
    if (why) {
      deps.log.warn({ runbook: name, alert: group._id }, `autoRun skipped: ${why}`);
      continue;
    }
    if (!(await deps.coordination.once(`runbook:auto:${group._id}:${name}`, 7 * 86_400_000))) continue;
    const subject = { id: `system:runbook:${name}`, display: `autoRun ${name}` };
    try {
      const run = await startRun({ runbook: name, alert: group._id, subject, surface: 'alerts', channels, invocationId: newInvocationId() });
      await deps.audit?.systemEvent({ action: 'runbook.autorun', subject: subject.id, message: `runbook ${name} started on alert ${group._id}: run ${run._id}`, detail: { run: run._id, alert: group._id } });
    } catch (err) {
      deps.log.warn({ err, runbook: name, alert: group._id }, `autoRun of ${name} failed to start: ${errorMessage(err)}`);
    }
  }
}

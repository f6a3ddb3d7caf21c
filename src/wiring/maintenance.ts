/**
 * Quiet times: maintenance windows (stored, silenced through Alertmanager, announced through the
 * outbox, ended on the clock) and the silence commands. `maintenance.windows` is the
 * `MaintenanceWindows` port that escalations and scheduled jobs ask before they notify.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { AuditLog } from '../core/audit.js';
import { systemClock, type Clock } from '../core/clock.js';
import { AlertTargets } from '../core/alerts/targets.js';
import { MaintenanceService } from '../core/maintenance/service.js';
import { MaintenanceExpiry } from '../core/maintenance/expiry.js';
import type { MaintenanceWindows } from '../core/maintenance/port.js';
import type { TargetSilencer } from '../core/maintenance/silencer.js';
import { targetMatcherValue } from '../core/maintenance/silence-form.js';
import { UserError } from '../core/errors.js';
import type { AnyCommand } from '../core/command.js';
import { formatSilenceMatcher, type AlertmanagerClient, type SilenceMatcher } from '../ops/alertmanager.js';
import { silenceCommands } from '../handlers/silences.js';
import { maintenanceCommands } from '../handlers/maintenance.js';
import type { Alerting } from './alerting.js';
import type { RunningConfig } from './reload/running-config.js';

export interface Maintenance {
  service: MaintenanceService;
  /** The port for escalations and jobs: `windows.activeFor(target, at)`. */
  windows: MaintenanceWindows;
  commands: AnyCommand[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One silence per `alerting.targetLabels` label: `<label>=~"<target>(:.*)?"` (src/core/maintenance/silence-form.ts). */
export function alertmanagerSilencer(am: AlertmanagerClient, targetLabels: () => readonly string[]): TargetSilencer {
  const matchersOf = (target: string): SilenceMatcher[] => targetLabels().map((name) => ({ name, value: targetMatcherValue(target), isRegex: true, isEqual: true }));
  return {
    where: `Alertmanager (${am.url})`,
    describe: (target) => matchersOf(target).map(formatSilenceMatcher).join(' or '),
    async silence(target, w) {
      const ids: string[] = [];
      try {
        for (const m of matchersOf(target)) ids.push(await am.createSilence({ matchers: [m], startsAt: w.from, endsAt: w.until, createdBy: w.by, comment: w.comment }));
      } catch (e) {
        // All or nothing: expire what was made before the failure.
        await Promise.allSettled(ids.map((id) => am.expireSilence(id)));
        throw e;
      }
      return ids;
    },
    async unsilence(ids) {
      for (const id of ids) {
        try {
          await am.expireSilence(id);
        } catch (e) {
          const gone = e instanceof UserError && (e.code === 'not_found' || /already expired/i.test(e.message));
          if (!gone) throw e;
        }
      }
    },
  };
}

export function wireMaintenance(config: Config, deps: { store: Store; alerting: Alerting; audit: AuditLog; log: Logger; running: RunningConfig; clock?: Clock }): Maintenance {
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ component: 'maintenance' });
  const am = deps.alerting.alertmanager;
  const service = new MaintenanceService({
    store: deps.store, clock, outbox: deps.alerting.outbox, audit: deps.audit, log,
    silencer: am ? alertmanagerSilencer(am, () => deps.running.targetLabels()) : undefined,
    // Read at each window: `alerting.defaultChannel` reloads.
    get defaultChannel() { return deps.running.config.alerting.defaultChannel; },
  });
  const expiry = new MaintenanceExpiry(service, clock, log);
  const targets = () => deps.running.targetNames();
  const alertTargets = new AlertTargets(() => deps.running.targetLabels(), targets);
  return {
    service,
    windows: service,
    commands: [
      ...silenceCommands({ alertmanager: am, targets: alertTargets, clock }),
      ...maintenanceCommands({ service, targets, clock }),
    ],
    start: () => expiry.start(),
    stop: () => expiry.stop(),
  };
}

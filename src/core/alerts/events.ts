/**
 * System events of alerting for the audit trail: changes no person asked for. Each is reported
 * after the change is saved; a failing sink is logged and never stops alerting.
 */
import type { Logger } from 'pino';
import type { AlertGroup } from './group.js';

export type AlertEventAction =
  /** A notification opened a new group (or a new occurrence of one). */
  | 'alert.opened'
  /** Alertmanager resolved every alert of an open group. */
  | 'alert.resolved'
  /** A silence ran out: the group shows firing again. */
  | 'alert.silence_expired'
  /** A storm was over: the groups named in its digest got their own messages. */
  | 'alert.storm_released';

export interface AlertEvent {
  action: AlertEventAction;
  /** The group's short id (absent for a digest release: see `alertIds`). */
  alertId?: string;
  /** The groups a digest release gave their own message. */
  alertIds?: string[];
  groupKey?: string;
  /** `<surface>:<channel>` addresses the change shows in. */
  channels: string[];
  /** One line for people. */
  detail: string;
  at: Date;
  /** `alert.opened`: the group as it was saved (its routes never change), so listeners need not read it again. */
  group?: AlertGroup;
}

export type AlertEventSink = (e: AlertEvent) => void | Promise<void>;

/** Reports to `sink`; a sink that throws (or rejects) is logged. */
export function eventReporter(sink: AlertEventSink | undefined, log: Logger): (e: AlertEvent) => Promise<void> {
  return async (e) => {
    if (!sink) return;
    try {
      await sink(e);
    } catch (err) {
      log.error({ err, action: e.action, alert: e.alertId }, 'could not report an alerting event to the audit trail');
    }
  };
}

/**
 * What the escalation service is given: the alert service as far as escalations read it, its
 * events, the store, coordination, clock, notifier and policies, and the hooks it reports to.
 */
import type { Logger } from 'pino';
import type { EscalationPolicyConfig } from '../../config/oncall-schema.js';
import type { AlertGroup } from '../alerts/group.js';
import type { Clock } from '../clock.js';
import type { Coordination } from '../coordination/types.js';
import type { MaintenanceWindows } from '../maintenance/port.js';
import type { Store } from '../store/types.js';
import type { People } from '../people.js';
import type { Notifier, PageOutbox } from './notifier.js';

/** What the executor needs of alerting: the group as it is now (`AlertService.find`). */
export interface AlertLookup {
  find(id: string): Promise<AlertGroup>;
  /** Open groups, newest first (for catching up on groups whose `opened` event was missed). */
  listOpen(limit?: number): Promise<AlertGroup[]>;
}

/** An event of `AlertService`'s `onEvent` (only `alert.opened` starts an escalation). */
export interface AlertEventLike {
  action: string;
  alertId?: string | undefined;
  /** The group as opened, when the event carries it (its routes never change). */
  group?: Pick<AlertGroup, 'routes'> | undefined;
}

export interface StepFiredInfo {
  groupId: string;
  step: number;
  pass: number;
  dueAt: number;
  firedAt: number;
  manual: boolean;
}

export interface EscalationOptions {
  store: Store;
  coordination: Coordination;
  clock: Clock;
  alerts: AlertLookup;
  notifier: Notifier;
  policies: Record<string, EscalationPolicyConfig>;
  log: Logger;
  /** Targets of a group (its labels), for maintenance windows. */
  targetsOf?: (g: AlertGroup) => string[];
  maintenance?: MaintenanceWindows | undefined;
  lateAfterMs?: number;
  tickMs?: number;
  /** Called after every step claimed and delivered (metrics, benchmarks). */
  onFired?: (info: StepFiredInfo) => void;
  /** Look for missed `opened` events every this many passes (default 10). */
  catchUpEvery?: number;
  /** Shows the group's message again (its escalation block changed): `AlertService.repaint`. */
  repaint?: (groupId: string) => Promise<void>;
  /**
   * Where the pages are updated once the escalation stops (their buttons removed), and where a
   * refused direct message's mention in the channel goes (dm-refusals.ts).
   */
  outbox?: PageOutbox;
  /** `people:`, for the mention of a person whose direct message was refused. */
  people?: Pick<People, 'get'>;
  /** The key of the alert group's message in a channel (its thread holds the step's line). */
  groupMessageKey?: (groupId: string, channel: string) => string;
  /** Where a refused direct message and its fallback are recorded (system events). */
  audit?: { systemEvent(e: { action: string; subject?: string; message?: string; detail?: Record<string, unknown> }): Promise<void> };
  collection?: string;
}

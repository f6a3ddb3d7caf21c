/**
 * Alerting: the outbox that posts to chat, the alert service that owns alert groups, their
 * metrics and the Alertmanager client. Gateways are filled in once the surfaces exist;
 * deliveries to a surface that is not there yet wait.
 */
import type { Config } from '../config/schema.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Store } from '../core/store/index.js';
import type { Coordination } from '../core/coordination/types.js';
import { Outbox, type OutboxGateway } from '../core/outbox/index.js';
import type { AlertEvent } from '../core/alerts/events.js';
import type { Clock } from '../core/clock.js';
import { AlertService } from '../core/alerts/service.js';
import { People } from '../core/people.js';
import { AlertMetrics } from '../core/alerts/metrics.js';
import { AlertmanagerClient } from '../ops/alertmanager.js';

export interface Alerting {
  /** Chat gateways by surface name; filled in by the composition root. */
  gateways: Map<string, OutboxGateway>;
  outbox: Outbox;
  alerts: AlertService;
  alertMetrics: AlertMetrics;
  alertmanager?: AlertmanagerClient;
  /**
   * Who hears alerting's system events (group opened, resolved by Alertmanager, silence expired,
   * storm released): the audit trail, escalations, runbooks. Each is called in turn; one that
   * throws is logged and the others still run.
   */
  listeners: ((e: AlertEvent) => void | Promise<void>)[];
  /** Records outside alerting that are keyed by a group id (escalations): a new group skips an id one of them still holds. */
  idHolders: ((id: string) => Promise<boolean>)[];
}

export function wireAlerting(config: Config, env: Env, deps: { store: Store; coordination: Coordination; log: Logger; metrics: Metrics; clock: Clock }): Alerting {
  const { store, coordination, log, metrics, clock } = deps;
  const listeners: Alerting['listeners'] = [];
  const idHolders: Alerting['idHolders'] = [];
  const idInUse = async (id: string): Promise<boolean> => {
    for (const holds of idHolders) if (await holds(id)) return true;
    return false;
  };
  const onEvent = async (e: AlertEvent): Promise<void> => {
    for (const listen of listeners) {
      try {
        await listen(e);
      } catch (err) {
        log.error({ err, action: e.action, alert: e.alertId }, 'an alerting event listener failed');
      }
    }
  };
  const gateways = new Map<string, OutboxGateway>();
  const alertSources: ConstructorParameters<typeof AlertMetrics>[1] = {};
  const alertMetrics = new AlertMetrics(metrics.registry, alertSources);
  const outbox: Outbox = new Outbox({
    store, coordination, gateways, clock, rate: config.alerting.rate, log: log.child({ component: 'outbox' }), metrics: alertMetrics,
    onDelivered: (item): Promise<void> => alerts.delivered(item),
  });
  const alerts = new AlertService({ store, coordination, outbox, clock, onEvent, config: config.alerting, people: new People(config.people), log: log.child({ component: 'alerts' }), metrics: alertMetrics, idInUse });
  alertSources.groupsByState = () => alerts.countByState();
  alertSources.outboxDepth = () => outbox.depthBySurface();
  alertSources.outboxDead = () => outbox.deadCount();
  const alertmanagerUrl = env.ALERTMANAGER_URL ?? config.alerting.alertmanagerUrl;
  const alertmanager = alertmanagerUrl ? new AlertmanagerClient(alertmanagerUrl, config.alerting.alertmanagerTimeout) : undefined;
  return { gateways, outbox, alerts, alertMetrics, listeners, idHolders, ...(alertmanager ? { alertmanager } : {}) };
}

/**
 * On-call and escalation: schedules and overrides, the escalation engine (fed by alerting's
 * `alert.opened` events through `onAlertEvent`), its notifier (direct messages through the
 * outbox's `dm` gateway, channel lines, SMTP, webhooks), handoff announcements, the `oncall` and
 * `escalate` commands, the RBAC grant for paged people, the calendar route, and the fallback of a
 * refused direct message to a mention in the alert's channels (the outbox's `onDead`).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { Coordination } from '../core/coordination/types.js';
import type { AnyCommand } from '../core/command.js';
import { systemClock, type Clock } from '../core/clock.js';
import { People } from '../core/people.js';
import type { MaintenanceWindows } from '../core/maintenance/port.js';
import { AlertTargets } from '../core/alerts/targets.js';
import { messageKey } from '../core/alerts/service.js';
import { OnCall } from '../core/oncall/service.js';
import { Handoffs } from '../core/oncall/handoffs.js';
import { Escalations, type EscalationOptions, type StepFiredInfo } from '../core/escalation/engine.js';
import { Notifier } from '../core/escalation/notifier.js';
import { SmtpMailer } from '../core/escalation/mailer.js';
import { DM_SURFACE, DirectMessageGateway, dmAddress } from '../core/escalation/dm-gateway.js';
import { pagedGrant, type AccessGrant } from '../core/escalation/paged-grant.js';
import { nobodyOnCallRoute } from '../core/escalation/nobody.js';
import { oncallCommands } from '../handlers/oncall.js';
import { escalateCommands } from '../handlers/escalate.js';
import { oncallCalendar } from '../http/oncall-ics.js';
import type { Alerting } from './alerting.js';
import type { RunningConfig } from './reload/running-config.js';

export interface Oncall {
  oncall: OnCall;
  escalations: Escalations;
  handoffs: Handoffs;
  /** `people:` as on-call, the notifier and handoffs read it (a reload replaces its contents). */
  people: People;
  commands: AnyCommand[];
  /** For RBAC: being paged for a group grants `ack` and `escalate` on it. */
  grant: AccessGrant;
  /** `GET /oncall/<schedule>.ics`, when `oncall.calendarToken` is set. */
  httpPlugin?: FastifyPluginAsync;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The config alerting runs on: with escalation policies, a route ahead of the others sends the
 * `OpsbotNobodyOnCall` alert to `oncall.fallbackChannel`.
 */
export function withOncallRoutes(config: Config): Config {
  if (Object.keys(config.escalationPolicies).length === 0) return config;
  // Unnamed routes keep the name of their place in the config (`routes[0]`…), not of their place after the added one.
  const routes = config.alerting.routes.map((r, i) => ({ ...r, name: r.name ?? `routes[${i}]` }));
  return { ...config, alerting: { ...config.alerting, routes: [nobodyOnCallRoute(config.oncall.fallbackChannel), ...routes] } };
}

export function wireOncall(config: Config, deps: {
  store: Store; coordination: Coordination; log: Logger; alerting: Alerting; running: RunningConfig;
  clock?: Clock; maintenance?: MaintenanceWindows; onFired?: (info: StepFiredInfo) => void;
  /** Where a refused direct message and its fallback to the channel are audited. */
  audit?: EscalationOptions['audit'];
}): Oncall {
  const { store, coordination, alerting } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ component: 'oncall' });
  const people = new People(config.people);
  const settings = config.oncall;
  const oncall = new OnCall(config.schedules, { store, people, clock });
  // Direct messages go through the outbox like every other message: its `dm` lanes.
  alerting.gateways.set(DM_SURFACE, new DirectMessageGateway(alerting.gateways));
  const mailer = settings.email ? new SmtpMailer(settings.email.smtpUrl, settings.email.from) : undefined;
  const notifier = new Notifier({ oncall, people, outbox: alerting.outbox, groupMessageKey: messageKey, fallbackChannel: settings.fallbackChannel, alerts: alerting.alerts, mailer, log });
  const targets = new AlertTargets(() => deps.running.targetLabels(), () => deps.running.targetNames());
  const escalations = new Escalations({
    store, coordination, clock, alerts: alerting.alerts, notifier, policies: config.escalationPolicies, log,
    targetsOf: (g) => targets.targetsOf(g), maintenance: deps.maintenance, lateAfterMs: settings.lateAfter, tickMs: settings.tick,
    repaint: (id) => alerting.alerts.repaint(id), outbox: alerting.outbox,
    people, groupMessageKey: messageKey, ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.onFired ? { onFired: deps.onFired } : {}),
  });
  // A page's direct message refused for good falls back to a mention in the alert's channels.
  alerting.outbox.onDead((item, error) => escalations.onMessageDead(item, error));
  // An escalation is keyed by its group id: a group opened after retention removed an old one never takes the id of an escalation that is still kept.
  alerting.idHolders.push(async (id) => (await escalations.get(id)) !== null);
  // Group messages show the escalation's state; an ack or resolve stops it at once.
  alerting.alerts.extend({ blocks: (g) => escalations.blocksFor(g), saved: (before, after) => escalations.onGroupSaved(before, after) });
  const handoffs = new Handoffs({ oncall, schedules: config.schedules, store, outbox: alerting.outbox, people, clock, log, dmAddress });
  const commands: AnyCommand[] = [
    ...oncallCommands({ oncall, clock }),
    ...escalateCommands({
      escalations,
      touchesOf: async (id) => targets.touchesOf(await alerting.alerts.find(id)),
      isPerson: (id) => people.get(id) !== undefined,
    }),
  ];
  return {
    oncall, escalations, handoffs, people, commands,
    grant: pagedGrant(escalations),
    ...(settings.calendarToken ? { httpPlugin: oncallCalendar({ oncall, token: settings.calendarToken, clock }) } : {}),
    async start() {
      await escalations.start();
      handoffs.start();
    },
    async stop() {
      handoffs.stop();
      await escalations.stop();
      mailer?.close();
    },
  };
}

/** What the HTTP server serves besides the surfaces' routes: readiness of every dependency and the Alertmanager webhook. */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Env } from '../config/env.js';
import type { ChatSurface } from '../bot/surface.js';
import type { ReadinessCheck } from '../http/server.js';
import { alertmanagerWebhook } from '../http/alertmanager-webhook.js';
import type { State } from './state.js';
import type { Alerting } from './alerting.js';
import type { Oncall } from './oncall.js';

export function readinessChecks(state: State, surfaces: ChatSurface[], alerting: Alerting): ReadinessCheck[] {
  const { store, coordination } = state;
  return [
    { name: 'store', check: async () => { await store.ping(); return undefined; } },
    { name: 'coordination', check: async () => { await coordination.ping(); return undefined; } },
    ...surfaces.map((s) => ({ name: `surface:${s.name}`, check: () => s.notReadyReason() })),
    { name: 'outbox', check: () => alerting.outbox.waitingReason() },
    { name: 'alert-intake', check: () => alerting.alerts.intakeStalledReason() },
  ];
}

export function webhookPlugin(config: Config, env: Env, alerting: Alerting): FastifyPluginAsync {
  return alertmanagerWebhook({
    receive: (p) => alerting.alerts.receive(p),
    token: env.WEBHOOK_TOKEN ?? config.alerting.webhookToken,
    allowUnauthenticated: config.alerting.allowUnauthenticated,
    bodyLimit: config.alerting.bodyLimit,
    count: (outcome) => alerting.alertMetrics.webhooks.inc({ outcome }),
  });
}

/** The on-call calendar (`GET /oncall/<schedule>.ics`), when a calendar token is configured. */
export function oncallPlugins(oncall: Pick<Oncall, 'httpPlugin'>): FastifyPluginAsync[] {
  return oncall.httpPlugin ? [oncall.httpPlugin] : [];
}

/**
 * "Nobody on call" is itself an alert: a step that reaches no one (a schedule that answers
 * nobody, an override naming someone not in `people:`) raises `OpsbotNobodyOnCall` through the
 * alert service, as Alertmanager would send it, so it shows in `alerts`, can be acknowledged and
 * resolved, and goes to `oncall.fallbackChannel` (a route the wiring puts ahead of the others).
 * One group per schedule: a second miss on the same schedule updates that group.
 */
import { createHash } from 'node:crypto';
import type { AlertRouteConfig } from '../../config/alerting.js';
import { groupName, severityOf, type AlertGroup } from '../alerts/group.js';
import type { WebhookPayload } from '../alerts/payload.js';
import { describeStep, type Fired, type PolicySnapshot } from './machine.js';

export const NOBODY_ALERTNAME = 'OpsbotNobodyOnCall';

/** Who a target failed to reach: the schedule (or person) it named and why. */
export interface Miss {
  schedule?: string;
  person?: string;
  reason: string;
}

/** The route that sends the alert to the fallback channel, ahead of `alerting.routes` (no escalation: it cannot loop). */
export function nobodyOnCallRoute(fallbackChannel: string): AlertRouteConfig {
  return { name: 'oncall.fallbackChannel', matchers: [`alertname="${NOBODY_ALERTNAME}"`], channels: [fallbackChannel], continue: false };
}

/** The synthetic webhook (version 4) of one miss, while escalating group `g`. */
export function nobodyOnCallPayload(miss: Miss, g: AlertGroup, p: PolicySnapshot, f: Fired): WebhookPayload {
  const subject: Record<string, string> = miss.schedule !== undefined ? { schedule: miss.schedule } : { person: miss.person ?? 'unknown' };
  const groupLabels = { alertname: NOBODY_ALERTNAME, ...subject };
  const labels = { ...groupLabels, severity: severityOf(g) };
  const what = miss.schedule !== undefined ? `schedule ${miss.schedule}` : `person ${miss.person ?? 'unknown'}`;
  const annotations = {
    summary: `Nobody on call for ${what}`,
    description: `${miss.reason}. Escalation ${p.name} of alert ${g._id} (${groupName(g)}), ${describeStep(p, f)}, reached no one. `
      + 'Fix the schedule or add an override: oncall override <schedule> <person> <duration>.',
  };
  const groupKey = `{}/{opsbot}:{${Object.entries(groupLabels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
  return {
    version: '4', groupKey, truncatedAlerts: 0, status: 'firing', receiver: 'opsbot',
    groupLabels, commonLabels: labels, commonAnnotations: annotations, externalURL: '',
    alerts: [{
      status: 'firing', labels, annotations, startsAt: new Date(f.firedAt).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '',
      fingerprint: createHash('sha256').update(groupKey).digest('hex').slice(0, 16),
    }],
  };
}

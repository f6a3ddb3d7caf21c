/** Alertmanager webhook payloads (version 4) for tests and benchmarks. */
import { createHash } from 'node:crypto';
import type { WebhookPayload } from '../../src/core/alerts/payload.js';

export interface AlertSpec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
}

const ZERO = '0001-01-01T00:00:00Z';

/** One notification of the group `{alertname}` with the given alerts. */
export function payload(opts: {
  alertname?: string;
  groupLabels?: Record<string, string>;
  commonLabels?: Record<string, string>;
  alerts: AlertSpec[];
  status?: 'firing' | 'resolved';
  truncatedAlerts?: number;
  externalURL?: string;
  receiver?: string;
}): WebhookPayload {
  const alertname = opts.alertname ?? 'HighCPU';
  const groupLabels = opts.groupLabels ?? { alertname };
  const alerts = opts.alerts.map((a, i) => {
    const labels: Record<string, string> = { alertname, severity: 'critical', ...opts.commonLabels, ...a.labels };
    const status = a.status ?? 'firing';
    return {
      status,
      labels,
      annotations: a.annotations ?? { summary: `${alertname} on ${labels.instance ?? `host-${i}`}` },
      startsAt: a.startsAt ?? '2026-11-24T09:00:00.000Z',
      endsAt: a.endsAt ?? (status === 'resolved' ? '2026-11-24T09:30:00.000Z' : ZERO),
      generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(alertname)}`,
      fingerprint: a.fingerprint ?? createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest('hex').slice(0, 16),
    };
  });
  const status = opts.status ?? (alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved');
  const commonLabels = { alertname, severity: 'critical', ...opts.commonLabels };
  return {
    version: '4',
    groupKey: `{}:{${Object.entries(groupLabels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`,
    truncatedAlerts: opts.truncatedAlerts ?? 0,
    status,
    receiver: opts.receiver ?? 'opsbot',
    groupLabels,
    commonLabels,
    commonAnnotations: {},
    externalURL: opts.externalURL ?? 'http://alertmanager.example:9093',
    alerts,
  };
}

/** `n` firing alerts on instances host-0…host-(n-1). */
export function hosts(n: number, extra: Partial<AlertSpec> = {}): AlertSpec[] {
  return Array.from({ length: n }, (_, i) => ({ labels: { instance: `host-${i}` }, ...extra }));
}

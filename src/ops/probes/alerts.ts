/**
 * Alerts probe: how many alerts are active in Alertmanager right now (not silenced, not
 * inhibited), through its API v2, with thresholds. The URL is the check's `url` or, filled in by
 * the composition root, ALERTMANAGER_URL.
 */
import type { z } from 'zod';
import type { alertsProbeSchema } from '../../config/probe-schemas.js';
import type { Config } from '../../config/schema.js';
import { displayUrl, safeError, scrubberFor } from '../connection-url.js';
import type { Probe, ProbeStatus } from './types.js';

export type AlertsProbeConfig = z.infer<typeof alertsProbeSchema>;

interface ApiAlert {
  labels?: Record<string, string>;
  status?: { state?: string };
}

/** `GET /api/v2/alerts?active=true&silenced=false&inhibited=false[&filter=...]` under the base URL. */
export function alertsQueryUrl(base: string, filter: string[]): URL {
  const url = new URL(base.endsWith('/') ? base : `${base}/`);
  url.pathname = `${url.pathname}api/v2/alerts`;
  url.search = '';
  url.searchParams.set('active', 'true');
  url.searchParams.set('silenced', 'false');
  url.searchParams.set('inhibited', 'false');
  for (const f of filter) url.searchParams.append('filter', f);
  return url;
}

export const alertsProbe: Probe<AlertsProbeConfig> = async (cfg, ctx) => {
  if (!cfg.url) return { status: 'fail', detail: 'no Alertmanager URL: set the check\'s url or ALERTMANAGER_URL' };
  const scrub = scrubberFor(cfg.url);
  const where = displayUrl(cfg.url);
  const url = alertsQueryUrl(cfg.url, cfg.filter);
  // Credentials in the URL become a Basic header (fetch refuses URLs with credentials).
  const headers: Record<string, string> = { accept: 'application/json' };
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  let alerts: ApiAlert[];
  try {
    const res = await fetch(url, { headers, signal: ctx.signal, redirect: 'error' });
    const body = await res.text();
    if (!res.ok) return { status: 'fail', detail: `${where}: HTTP ${res.status} ${scrub(body.slice(0, 200))}` };
    const parsed: unknown = JSON.parse(body);
    if (!Array.isArray(parsed)) return { status: 'fail', detail: `${where}: the answer is not a list of alerts` };
    alerts = parsed as ApiAlert[];
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    const why = ctx.signal.aborted ? `no answer within ${ctx.timeoutMs}ms` : e instanceof SyntaxError ? 'the answer is not JSON' : cause?.code ?? safeError(e, scrub);
    return { status: 'fail', detail: `${where}: ${why}` };
  }
  const active = alerts.filter((a) => (a.status?.state ?? 'active') === 'active');
  const n = active.length;
  const names = new Map<string, number>();
  for (const a of active) {
    const name = a.labels?.alertname ?? '(no alertname)';
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  const list = [...names.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => (v > 1 ? `${k} ×${v}` : k));
  const more = names.size > 5 ? `, +${names.size - 5} more` : '';
  let status: ProbeStatus = 'ok';
  if (cfg.failAbove !== undefined && n > cfg.failAbove) status = 'fail';
  else if (n > cfg.warnAbove) status = 'warn';
  const critical = active.filter((a) => a.labels?.severity === 'critical').length;
  return {
    status,
    detail: n === 0 ? 'no active alerts' : `${n} active alert${n === 1 ? '' : 's'}${critical ? ` (${critical} critical)` : ''}: ${list.join(', ')}${more}`,
    data: { active: n, critical },
  };
};

/** Every `alerts` check without its own url gets ALERTMANAGER_URL (called by the composition root). */
export function withAlertmanagerDefault(targets: Config['targets'], alertmanagerUrl: string | undefined): Config['targets'] {
  if (!alertmanagerUrl) return targets;
  return Object.fromEntries(Object.entries(targets).map(([name, t]) => [name, {
    ...t,
    health: t.health.map((c) => (c.alerts && !c.alerts.url ? { ...c, alerts: { ...c.alerts, url: alertmanagerUrl } } : c)),
  }]));
}

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startAlertmanagerApi, type AlertmanagerApiStandIn } from '../support/alertmanager-api.js';
import { freePort } from '../support/servers.js';
import { runConfiguredCheck } from '../support/probe.js';
import { withAlertmanagerDefault } from '../../src/ops/probes/alerts.js';
import { configSchema } from '../../src/config/schema.js';

describe('alerts probe against a recording Alertmanager API v2', () => {
  let am: AlertmanagerApiStandIn;
  beforeAll(async () => { am = await startAlertmanagerApi(); });
  afterAll(async () => { await am?.stop(); });
  beforeEach(() => {
    am.requests.length = 0;
    am.alerts = [];
    delete am.failWith;
    delete am.delayMs;
  });

  it('given no alerts, then it is ok and asks for active, unsilenced, uninhibited alerts', async () => {
    const r = await runConfiguredCheck({ alerts: { url: am.url } });
    expect(r.status).toBe('ok');
    expect(r.detail).toBe('no active alerts');
    const q = am.requests[0];
    expect(q?.path).toBe('/api/v2/alerts');
    expect(q?.query.get('active')).toBe('true');
    expect(q?.query.get('silenced')).toBe('false');
    expect(q?.query.get('inhibited')).toBe('false');
  });

  it('given three active alerts and one silenced, then it counts three and names them', async () => {
    am.alerts = [
      { labels: { alertname: 'HighErrorRate', severity: 'critical' } },
      { labels: { alertname: 'HighErrorRate', severity: 'critical', instance: 'b' } },
      { labels: { alertname: 'DiskSpaceHigh', severity: 'warning' } },
      { labels: { alertname: 'DatabaseDown', severity: 'critical' }, silencedBy: ['s1'] },
    ];
    const r = await runConfiguredCheck({ alerts: { url: am.url, warnAbove: 0, failAbove: 2 } });
    expect(r.status).toBe('fail');
    expect(r.data).toEqual({ active: 3, critical: 2 });
    expect(r.detail).toBe('3 active alerts (2 critical): HighErrorRate ×2, DiskSpaceHigh');
    const warnOnly = await runConfiguredCheck({ alerts: { url: am.url } });
    expect(warnOnly.status).toBe('warn');
  });

  it('given matchers, then they are sent as filter parameters', async () => {
    await runConfiguredCheck({ alerts: { url: `${am.url}/`, filter: ['severity="critical"', 'team=~"ops|sre"'] } });
    expect(am.requests[0]?.query.getAll('filter')).toEqual(['severity="critical"', 'team=~"ops|sre"']);
  });

  it('given credentials in the URL, then they go as Basic auth and never into the detail', async () => {
    am.failWith = 500;
    const url = am.url.replace('http://', 'http://admin:hunter2-secret@');
    const r = await runConfiguredCheck({ alerts: { url } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('HTTP 500');
    expect(am.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('admin:hunter2-secret').toString('base64')}`);
    expect(`${r.name} ${r.detail}`).not.toContain('hunter2-secret');
  });

  it('given a slow Alertmanager, then it fails within the timeout', async () => {
    am.delayMs = 2000;
    const r = await runConfiguredCheck({ timeout: '300ms', alerts: { url: am.url } });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/within 300ms|timed out/);
  });

  it('given nothing listening, then it fails with the connection error', async () => {
    const r = await runConfiguredCheck({ alerts: { url: `http://127.0.0.1:${await freePort()}` } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('ECONNREFUSED');
  });

  it('given no url and no ALERTMANAGER_URL, then it fails saying what to set; with ALERTMANAGER_URL the default is filled in', async () => {
    const r = await runConfiguredCheck({ alerts: {} });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('ALERTMANAGER_URL');
    const cfg = configSchema.parse({ targets: { web: { health: [{ alerts: {} }, { alerts: { url: 'http://other:9093' } }] } } });
    const filled = withAlertmanagerDefault(cfg.targets, am.url);
    expect(filled.web?.health[0]?.alerts?.url).toBe(am.url);
    expect(filled.web?.health[1]?.alerts?.url).toBe('http://other:9093');
    expect(cfg.targets.web?.health[0]?.alerts?.url).toBeUndefined();
  });
});

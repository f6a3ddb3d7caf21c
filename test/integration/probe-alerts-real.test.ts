import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, spawnServer, tmpDir, waitFor, which, type ServerProcess } from '../support/servers.js';
import { runConfiguredCheck } from '../support/probe.js';

/** The alerts probe against the real Alertmanager (Debian's prometheus-alertmanager), alerts posted through its API. */
describeWithServers(['prometheus-alertmanager'], 'alerts probe against a real Alertmanager', () => {
  let proc: ServerProcess;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let url: string;

  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
    return res.text();
  };

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-am-');
    const cfg = path.join(tmp.dir, 'alertmanager.yml');
    await writeFile(cfg, "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    proc = spawnServer(which('prometheus-alertmanager') as string, [
      `--config.file=${cfg}`, `--storage.path=${tmp.dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
    ]);
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { what: 'alertmanager ready', timeoutMs: 20_000 }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${proc.output()}`);
    });
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    await post('/api/v2/alerts', [
      { labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'pixelforge' }, startsAt, endsAt },
      { labels: { alertname: 'DiskSpaceHigh', severity: 'warning', service: 'nordlayer' }, startsAt, endsAt },
      { labels: { alertname: 'DatabaseDown', severity: 'critical', service: 'stormforge' }, startsAt, endsAt },
    ]);
    await post('/api/v2/silences', {
      matchers: [{ name: 'alertname', value: 'DatabaseDown', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(), endsAt: endsAt, createdBy: 'test', comment: 'maintenance',
    });
  }, 40_000);
  afterAll(async () => {
    await proc?.stop();
    await tmp?.cleanup();
  });

  it('given three alerts, one silenced, then it counts the two active ones', async () => {
    const r = await waitFor(async () => {
      const c = await runConfiguredCheck({ alerts: { url, warnAbove: 0, failAbove: 1 } });
      return c.data?.active === 2 ? c : undefined;
    }, { what: 'two active alerts', timeoutMs: 10_000 });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^2 active alerts \(1 critical\): /);
    expect(r.detail).not.toContain('DatabaseDown');
  });

  it('given a matcher, then only matching alerts count', async () => {
    const r = await runConfiguredCheck({ alerts: { url, filter: ['service="pixelforge"'], warnAbove: 0 } });
    expect(r.data).toEqual({ active: 1, critical: 1 });
    expect(r.detail).toBe('1 active alert (1 critical): HighErrorRate');
    const none = await runConfiguredCheck({ alerts: { url, filter: ['service="linguamate"'] } });
    expect(none).toMatchObject({ status: 'ok', detail: 'no active alerts' });
  });

  it('given an invalid matcher, then Alertmanager refuses it and the check fails with its answer', async () => {
    const r = await runConfiguredCheck({ alerts: { url, filter: ['not a matcher ==='] } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('HTTP 400');
  });
});

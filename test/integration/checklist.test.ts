/** `checklist`: health checks, latest verified backups and open alerts of a target in one report. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import path from 'node:path';
import { startTestBot, type TestBot } from '../support/bot.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';

const admin = { id: 'console:admin' };

describe('checklist', () => {
  let t: TestBot;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let closed: number;
  const run = async (line: string) => {
    const r = await t.bot.router.handle({ subject: admin, surface: 'console', line });
    return { ...r, text: renderConsole(r.reply, { colour: false }) };
  };

  beforeAll(async () => {
    tmp = await tmpDir();
    closed = await freePort();
    const db = new Database(path.join(tmp.dir, 'app.db'));
    db.exec('create table t (x int); insert into t values (1)');
    db.close();
    t = await startTestBot({
      yaml: `
bot: { consoleUser: "console:admin" }
targets:
  app:
    health:
      - name: memory
        memory: { maxUsedPercent: 100 }
      - name: app db
        sqlite: { path: ${tmp.dir}/app.db }
    backups: { name: db, kind: sqlite, source: ${tmp.dir}/app.db, destination: ${tmp.dir}/backups }
  other:
    health:
      - name: other port
        tcp: { host: 127.0.0.1, port: ${closed} }
alerting:
  defaultChannel: console:alerts
  allowUnauthenticated: true
`,
    });
  }, 30_000);
  afterAll(async () => { await t?.stop(); await tmp?.cleanup(); });

  it('given no backup yet, then the backup line fails the checklist and says none is verified', async () => {
    const r = await run('checklist app');
    expect(r.reply.status).toBe('fail');
    expect(r.text).toMatch(/app\s+db\s+none verified\s+-\s+-\s+FAIL/);
    expect(r.text).toMatch(/app db\s+ok/);
    expect(r.text).toContain('Active alerts: none.');
  });

  it('given a verified backup and a firing alert about the target, then both are in the report', async () => {
    expect((await run('backup run app')).reply.status).toBe('ok');
    const res = await fetch(`${t.baseUrl}/webhooks/alertmanager`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload({ alertname: 'HighErrorRate', commonLabels: { service: 'app', severity: 'critical' }, alerts: hosts(2) })),
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await t.bot.alerts.listOpen()).length === 1, { what: 'alert group stored' });

    const r = await run('checklist app');
    expect(r.reply.status).toBe('warn');
    expect(r.text).toMatch(/app\s+db\s+db-\d{8}-\d{6}-[0-9a-f]{4}\s+\S+ ago\s+[\d.]+ [KM]iB\s+ok/);
    expect(r.text).toMatch(/HighErrorRate\s+critical\s+firing\s+2/);
    expect(r.text).toContain('1 open alert groups (1 firing, not acknowledged)');

    // an alert about app is not another target's business
    const other = await run('checklist other');
    expect(other.text).toContain('Active alerts: none.');
    expect(other.text).toMatch(/other port\s+FAIL/);
    expect(other.reply.status).toBe('fail');
  });

  it('given all, then every target is covered; --dry-run says what it would look at', async () => {
    const r = await run('checklist');
    expect(r.reply.title).toBe('Checklist: all targets');
    expect(r.text).toContain('3 checks (1 failed) · 1 backup jobs (0 missing or old) · 1 open alert groups');
    const dry = await run('checklist all --dry-run');
    expect(dry.text).toContain('Would run 3 health checks, look up the latest verified backup of 1 backup jobs and list the open alerts, for app, other');
  });
});

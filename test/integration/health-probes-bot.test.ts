import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestBot, type TestBot } from '../support/bot.js';
import { tmpDir } from '../support/servers.js';
import { startAlertmanagerApi, type AlertmanagerApiStandIn } from '../support/alertmanager-api.js';

/** StormForge's checks through `health`: SQLite file + integrity, the sync_queue backlog, active alerts from ALERTMANAGER_URL. */
describe('health with the database and alert probes, wired by the composition root', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let am: AlertmanagerApiStandIn;
  let bot: TestBot;

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-health-');
    const file = path.join(tmp.dir, 'stormforge.db');
    const db = new Database(file);
    db.exec('create table sync_queue (id integer primary key, synced integer); insert into sync_queue (synced) values (0), (0), (1);');
    db.close();
    am = await startAlertmanagerApi();
    am.alerts = [{ labels: { alertname: 'HighMemoryUsage', severity: 'warning' } }];
    bot = await startTestBot({
      http: false,
      env: { ALERTMANAGER_URL: am.url, STORMFORGE_SQLITE: file },
      yaml: `
targets:
  stormforge:
    health:
      - name: sqlite
        sqlite: { path: "\${STORMFORGE_SQLITE}" }
      - name: sync backlog
        sql: { path: "\${STORMFORGE_SQLITE}", query: "SELECT COUNT(*) FROM sync_queue WHERE synced = 0", label: pending, warnAbove: 100, failAbove: 1000 }
      - name: active alerts
        alerts: { warnAbove: 0 }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:operator": [admin] }
`,
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await am?.stop();
    await tmp?.cleanup();
  });

  it('given the checks, then health reports each, and the alerts check used ALERTMANAGER_URL', async () => {
    const { reply } = await bot.bot.router.handle({ subject: bot.bot.consoleSubject, surface: 'console', line: 'health stormforge' });
    const t = reply.blocks.find((b) => b.type === 'table') as { rows: string[][] };
    const byName = Object.fromEntries(t.rows.map((r) => [r[1], r]));
    expect(byName.sqlite?.[2]).toBe('ok');
    expect(byName['sync backlog']?.[3]).toMatch(/^pending 2 in \d+ms$/);
    expect(byName['active alerts']?.[2]).toBe('warn');
    expect(byName['active alerts']?.[3]).toBe('1 active alert: HighMemoryUsage');
    expect(reply.status).toBe('warn');
    expect(am.requests).toHaveLength(1);
  });
});

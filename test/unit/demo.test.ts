/**
 * The demo's pieces without a bot: the app as a plain child process (the path taken where
 * supervisord is not installed), the config it writes for either kind, and the webhook payload of
 * `demo alert`. The whole demo runs as a real process in test/integration/demo.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseConfigText } from '../../src/config/load.js';
import { webhookPayloadSchema } from '../../src/core/alerts/payload.js';
import { seedDatabase, writeAppProgram } from '../../src/demo/app.js';
import { demoConfigYaml, DEMO_TARGET } from '../../src/demo/config.js';
import { demoAlertPayload } from '../../src/demo/alert-command.js';
import { freePort, startApp, type DemoProcess } from '../../src/demo/processes.js';
import { tmpDir } from '../support/servers.js';

describe('opsbot demo, piece by piece', () => {
  let data: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => { data = await tmpDir('opsbot-demo-unit-'); });
  afterAll(async () => { await data.cleanup(); });

  describe('given no supervisord on PATH', () => {
    let app: DemoProcess;
    let port: number;
    beforeAll(async () => {
      const appFile = path.join(data.dir, 'app.mjs');
      await writeAppProgram(appFile);
      port = await freePort();
      app = await startApp({ dir: data.dir, program: DEMO_TARGET, node: process.execPath, appFile, port, searchPath: '' });
    }, 20_000);
    afterAll(async () => { await app?.stop(); });

    it('when the app starts, then it is a plain child that answers with its PID and logs errors to its file', async () => {
      expect(app.kind).toBe('child');
      const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string; pid: number };
      expect(body.status).toBe('ok');
      expect(body.pid).toBeGreaterThan(1);
      expect(readFileSync(app.logFiles[0] as string, 'utf8')).toMatch(/ERROR payment provider timeout/);
    });

    it('when its config is written, then it validates, has no manager, and says why restart is not configured', () => {
      const yaml = demoConfigYaml({ dir: data.dir, database: path.join(data.dir, 'shop.db'), port, app });
      expect(yaml).toContain('apt-get install supervisor');
      const config = parseConfigText(yaml, 'demo.yaml', {});
      expect(config.targets[DEMO_TARGET]?.manager).toBeUndefined();
    });
  });

  describe('given the app under supervisor', () => {
    it('when its config is written, then it validates with the supervisor manager, the approvals rule, people and on-call', () => {
      const app: DemoProcess = { kind: 'supervisor', configFile: '/tmp/demo/supervisor/supervisord.conf', program: DEMO_TARGET, logFiles: [], stop: async () => undefined };
      const config = parseConfigText(demoConfigYaml({ dir: '/tmp/demo', database: '/tmp/demo/shop.db', port: 4321, app }), 'demo.yaml', {});
      const target = config.targets[DEMO_TARGET];
      expect(target?.manager).toMatchObject({ kind: 'supervisor', name: DEMO_TARGET, configFile: '/tmp/demo/supervisor/supervisord.conf' });
      expect(target?.environment).toBe('production');
      expect(config.approvals?.rules?.[0]).toMatchObject({ commands: ['restart'], environments: ['production'], approvers: ['sre-lead'] });
      expect(Object.keys(config.people)).toEqual(['alice', 'bob']);
      expect(Object.keys(config.schedules)).toEqual(['primary']);
      expect(Object.keys(config.jobs)).toEqual(['morning-check', 'nightly-backup']);
      expect(Object.keys(config.runbooks)).toEqual(['shop-errors']);
    });
  });

  describe('given a new data folder', () => {
    it('when the database is seeded, then two users are locked, and a second seed keeps what changed', () => {
      const file = path.join(data.dir, 'seed.db');
      expect(seedDatabase(file)).toBe(true);
      const db = new Database(file);
      expect(db.prepare('SELECT email FROM users WHERE loginAttempts >= 5 ORDER BY email').all()).toEqual([{ email: 'carol@shop.test' }, { email: 'dave@shop.test' }]);
      db.prepare("UPDATE users SET loginAttempts = 0 WHERE email = 'carol@shop.test'").run();
      db.close();
      expect(seedDatabase(file)).toBe(false);
      const again = new Database(file, { readonly: true });
      expect(again.prepare('SELECT COUNT(*) AS n FROM users WHERE loginAttempts >= 5').get()).toEqual({ n: 1 });
      again.close();
    });
  });

  describe('given the demo alert', () => {
    it('when its payload is built, then it is an Alertmanager v4 notification about the demo target', () => {
      const firing = webhookPayloadSchema.parse(demoAlertPayload('firing', new Date('2026-01-05T10:00:00Z')));
      expect(firing).toMatchObject({ version: '4', status: 'firing', commonLabels: { target: DEMO_TARGET } });
      expect(firing.alerts[0]?.endsAt).toBe('0001-01-01T00:00:00Z');
      const resolved = webhookPayloadSchema.parse(demoAlertPayload('resolved', new Date('2026-01-05T10:00:00Z')));
      expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2026-01-05T10:00:00.000Z' });
      expect(resolved.groupKey).toBe(firing.groupKey);
    });
  });
});

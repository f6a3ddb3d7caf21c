/**
 * A target under a real supervisord (Debian's `supervisor`): `status`, `restart` (health-verified:
 * a new PID that answers HTTP), `logs`, a program that fails on start reported with its log
 * lines, and `restore` stopping and starting the service around it — all through the router.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, tmpDir } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, exec, idsIn } from '../support/backup.js';
import { startSupervisor, type Supervisor } from '../support/supervisor.js';

async function pidOf(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return ((await res.json()) as { pid: number }).pid;
}

describeWithServers(['supervisord', 'supervisorctl'], 'supervisor service manager (real supervisord)', () => {
  let sup: Supervisor;
  let tb: TestBot;
  let data: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    sup = await startSupervisor();
    data = await tmpDir('opsbot-svc-data-');
    await mkdir(path.join(data.dir, 'files'));
    await writeFile(path.join(data.dir, 'files', 'state.txt'), 'v1');
    tb = await startTestBot({
      yaml: `${ADMIN_RBAC}
targets:
  web:
    health:
      - name: web-http
        http: { url: "http://127.0.0.1:${sup.port}/", json: { status: ok } }
    manager: { kind: supervisor, name: web, configFile: ${sup.configFile}, restartTimeout: 20s }
    backups:
      - kind: files
        source: { dir: ${data.dir}/files }
        destination: ${data.dir}/backups
        stopService: true
  broken:
    manager: { kind: supervisor, name: broken, configFile: ${sup.configFile}, restartTimeout: 5s }
`,
    });
  }, 60_000);

  afterAll(async () => {
    await tb?.stop();
    await sup?.stop();
    await data?.cleanup();
  });

  describe('given the web program RUNNING under supervisord', () => {
    it('when status web runs, then it shows RUNNING with its PID and manager', async () => {
      const pid = await pidOf(sup.port);
      const r = await exec(tb, 'status web');
      expect(r.reply.status).toBe('ok');
      expect(r.text).toContain('RUNNING');
      expect(r.text).toContain(String(pid));
      expect(r.text).toContain('supervisor');
    });

    it('when restart web runs, then a new process serves HTTP and the reply says healthy', async () => {
      const before = await pidOf(sup.port);
      const r = await exec(tb, 'restart web');
      expect(r.text).toContain('running and healthy again');
      expect(r.reply.status).toBe('ok');
      const after = await pidOf(sup.port);
      expect(after).not.toBe(before);
      expect(r.text).toContain('web-http');
    }, 60_000);

    it('when restart web --dry-run runs, then it names the supervisorctl command and restarts nothing', async () => {
      const before = await pidOf(sup.port);
      const r = await exec(tb, 'restart web --dry-run');
      expect(r.text).toContain(`supervisorctl -c ${sup.configFile} restart web`);
      expect(await pidOf(sup.port)).toBe(before);
    });

    it('when logs web runs, then the program\'s stdout and stderr lines are shown', async () => {
      const r = await exec(tb, 'logs web --lines 20');
      expect(r.text).toContain('tiny-http listening on');
      expect(r.text).toContain('tiny-http stderr line');
      const g = await exec(tb, 'logs web --grep STDERR');
      expect(g.text).toContain('tiny-http stderr line');
      expect(g.text).not.toContain('listening on');
    });

    it('when status all runs, then the supervisor target is in the services table', async () => {
      const r = await exec(tb, 'status all');
      expect(r.text).toContain('Services');
      expect(r.text).toMatch(/broken[\s\S]*STOPPED/);
    });
  });

  describe('given a program that fails on start', () => {
    it('when restart broken runs, then it is reported failed with its log lines', async () => {
      const r = await exec(tb, 'restart broken');
      expect(r.reply.status).toBe('fail');
      expect(r.text).toContain('did not come back healthy');
      expect(r.text).toContain('broken: cannot open the database');
    }, 60_000);
  });

  describe('given a files backup with stopService: true', () => {
    it('when restore runs, then the service is stopped around it and runs again after', async () => {
      const run = await exec(tb, 'backup run web');
      expect(run.reply.status).toBe('ok');
      const [id] = idsIn(run.text);
      await writeFile(path.join(data.dir, 'files', 'state.txt'), 'v2');
      const before = await pidOf(sup.port);
      const r = await exec(tb, `restore web ${id}`);
      expect(r.text).toContain('stopped supervisor program web');
      expect(r.text).toContain('started supervisor program web on this host again');
      expect(await readFile(path.join(data.dir, 'files', 'state.txt'), 'utf8')).toBe('v1');
      expect(await sup.ctl('status', 'web')).toMatch(/web\s+RUNNING/);
      expect(await pidOf(sup.port)).not.toBe(before);
    }, 60_000);
  });
});

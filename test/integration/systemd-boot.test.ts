/**
 * systemd for real (OPSBOT_SYSTEMD_BOOT=1): a Debian rootfs booted with /sbin/init in the test
 * dockerd (test/support/systemd-container.ts), systemctl and journalctl reached with
 * `docker exec`. `restart` of a unit serving HTTP brings it back healthy (new PID, check passes);
 * a unit that fails on start is reported as failed with its journal lines.
 * About 8 s on this VM with the rootfs cached (import ~2 s, boot ~2 s; debootstrap adds ~35 s), so CI can run it where
 * the runner is root with cgroups it may write.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeOptIn } from '../support/servers.js';
import { startSystemdContainer, type SystemdContainer } from '../support/systemd-container.js';
import { systemdManagerSchema } from '../../src/config/services-schema.js';
import { restartService, SystemdManager } from '../../src/ops/services/index.js';
import { healthCheckSchema } from '../../src/config/schema.js';

describeOptIn('OPSBOT_SYSTEMD_BOOT', ['dockerd', 'debootstrap'], 'systemd booted in a container (real systemctl and journald)', () => {
  let sd: SystemdContainer;
  beforeAll(async () => {
    sd = await startSystemdContainer();
    process.stderr.write(`systemd container up: ${JSON.stringify(sd.timings)} (seconds)\n`);
  }, 600_000);
  afterAll(async () => { await sd?.stop(); }, 120_000);

  const manager = (unit: string) => new SystemdManager(systemdManagerSchema.parse({ kind: 'systemd', unit }), sd.exec);

  it('given hello-http running, when restart, then a new process serves HTTP and the check passes', async () => {
    const m = manager('hello-http');
    const [before] = await m.status();
    expect(before).toMatchObject({ running: true, failed: false });
    const out = await restartService({
      target: 'hello', manager: m, checks: [healthCheckSchema.parse({ http: { url: `http://127.0.0.1:${sd.httpPort}/` } })],
      checkTimeoutMs: 5_000, restartTimeoutMs: 30_000, logLines: 10,
    }, AbortSignal.timeout(60_000));
    expect(out.reason).toBeUndefined();
    expect(out.ok).toBe(true);
    expect(out.after[0]?.pid).not.toBe(before?.pid);
    expect(out.checks.map((c) => c.status)).toEqual(['ok']);
  }, 90_000);

  it('given a unit that fails on start, when restart, then it is reported failed with its journal lines', async () => {
    const out = await restartService({
      target: 'broken', manager: manager('broken'), checks: [], checkTimeoutMs: 5_000, restartTimeoutMs: 20_000, logLines: 10,
    }, AbortSignal.timeout(60_000));
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(/broken.service is failed .*exit status 3.*after the restart/);
    expect(out.logs.map((l) => l.text).join('\n')).toContain('broken: cannot open /etc/broken.conf');
  }, 90_000);
});

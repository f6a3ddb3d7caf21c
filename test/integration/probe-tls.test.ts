import { afterAll, beforeAll, expect, it } from '@jest/globals';
import net from 'node:net';
import { describeWithServers, freePort, tmpDir } from '../support/servers.js';
import { daysFromNow, makeCertificate, startHttpsServer, type Certificate } from '../support/tls.js';
import { runConfiguredCheck } from '../support/probe.js';

describeWithServers(['openssl'], 'tls probe against a local HTTPS server', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  const servers: { port: number; stop: () => Promise<void> }[] = [];
  const certs: Record<string, Certificate> = {};
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    dir = await tmpDir('opsbot-tls-');
    const plan: [string, number, number][] = [['fresh', -1, 90], ['soon', -1, 10], ['almost', -1, 3], ['expired', -30, -2]];
    for (const [name, from, to] of plan) {
      certs[name] = await makeCertificate(dir.dir, name, daysFromNow(from), daysFromNow(to));
      const s = await startHttpsServer(certs[name] as Certificate);
      servers.push(s);
      ports[name] = s.port;
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await dir?.cleanup();
  });

  const check = (name: string, extra: Record<string, unknown> = {}) =>
    runConfiguredCheck({ tls: { host: '127.0.0.1', port: ports[name], servername: 'localhost', ca: certs[name]?.certPath, warnDays: 21, failDays: 7, ...extra } });

  it('given a certificate valid for 90 more days, then it is ok with the days left', async () => {
    const r = await check('fresh');
    expect(r.status).toBe('ok');
    expect(r.data?.daysLeft).toBeGreaterThanOrEqual(89);
    expect(r.data?.daysLeft).toBeLessThanOrEqual(90);
    expect(r.detail).toMatch(/expires \d{4}-\d\d-\d\d, (89|90) days left/);
  });

  it('given 10 days left and warnDays 21, then it warns', async () => {
    const r = await check('soon');
    expect(r.status).toBe('warn');
    expect(r.detail).toContain('at or under 21');
  });

  it('given 3 days left and failDays 7, then it fails', async () => {
    const r = await check('almost');
    expect(r.status).toBe('fail');
  });

  it('given an expired certificate, then it fails saying EXPIRED', async () => {
    const r = await check('expired', { verify: false });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('EXPIRED');
    expect(Number(r.data?.daysLeft)).toBeLessThan(0);
  });

  it('given a self-signed certificate and no CA, when verifying, then it fails as untrusted; with verify false only the date counts', async () => {
    const untrusted = await check('fresh', { ca: undefined });
    expect(untrusted.status).toBe('fail');
    expect(untrusted.detail).toContain('not trusted');
    const dateOnly = await check('fresh', { ca: undefined, verify: false });
    expect(dateOnly.status).toBe('ok');
  });

  it('given a servername the certificate does not cover, then it fails on the name', async () => {
    const r = await check('fresh', { servername: 'example.org' });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/not trusted.*example\.org/);
  });

  it('given a closed port, then it fails with "refused"', async () => {
    const port = await freePort();
    const r = await runConfiguredCheck({ tls: { host: '127.0.0.1', port } });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('refused');
  });

  it('given a server that accepts but never handshakes, then it fails within the timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const r = await runConfiguredCheck({ timeout: '300ms', tls: { host: '127.0.0.1', port } });
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/within 300ms|timed out/);
    } finally {
      silent.close();
    }
  });
});

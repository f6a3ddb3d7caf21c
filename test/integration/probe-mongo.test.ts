import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { freePort, describeWithUrl } from '../support/servers.js';
import { runConfiguredCheck } from '../support/probe.js';

describe('mongo probe failure paths with the real driver', () => {
  let silent: net.Server;
  let silentPort: number;
  beforeAll(async () => {
    silent = net.createServer(() => undefined); // accepts, never answers the handshake
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(() => { silent.close(); });

  it('given a closed port, then ping fails as unreachable within the timeout, without the password', async () => {
    const port = await freePort();
    const r = await runConfiguredCheck({ timeout: '1s', mongo: { url: `mongodb://app:Sup3r-s3cret@127.0.0.1:${port}/pixelforge?directConnection=true` } });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/no server reachable|ECONNREFUSED/);
    expect(r.durationMs).toBeLessThan(3000);
    expect(`${r.name} ${r.detail}`).not.toContain('Sup3r-s3cret');
    expect(r.name).toBe(`mongo mongodb://127.0.0.1:${port}/pixelforge`);
  });

  it('given a server that accepts but never answers, then ping times out', async () => {
    const r = await runConfiguredCheck({ timeout: '800ms', mongo: { url: `mongodb://127.0.0.1:${silentPort}/?directConnection=true` } });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/no server reachable|within 800ms|timed out/);
    expect(r.durationMs).toBeLessThan(3000);
  });

  it('given a non-MongoDB URL, then the config is refused without echoing it', async () => {
    await expect(async () => runConfiguredCheck({ mongo: { url: 'http://user:pw@x' } })).rejects.toThrow(/mongodb:\/\//);
  });
});

const MONGODB_URL = process.env.MONGODB_URL;
describeWithUrl('MONGODB_URL', 'mongo probe against a real MongoDB (MONGODB_URL)', () => {
  it('given a reachable server, then ping is ok', async () => {
    const r = await runConfiguredCheck({ mongo: { url: MONGODB_URL as string } });
    expect(r.status).toBe('ok');
  });
});

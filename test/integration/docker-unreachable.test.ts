/**
 * Docker that cannot be reached, through the real dockerode client: a closed loopback port, a
 * socket path with nothing there, and a server that accepts the connection but never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import path from 'node:path';
import { DockerService } from '../../src/ops/docker/index.js';
import { freePort, tmpDir } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

describe('Docker unreachable', () => {
  let silent: net.Server;
  let silentPort: number;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    silent = net.createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('given a closed port, when the containers are listed, then the error says connection refused', async () => {
    const host = `tcp://127.0.0.1:${await freePort()}`;
    const docker = new DockerService({ defaultHost: host });
    await expect(docker.list({ name: 'web' })).rejects.toMatchObject({ code: 'unavailable', message: `Docker is not reachable at ${host}: connection refused (is dockerd running?)` });
  });

  it('given a socket path with nothing there, when logs are read, then the error says there is no socket', async () => {
    const { dir, cleanup } = await tmpDir();
    const host = `unix://${path.join(dir, 'docker.sock')}`;
    const docker = new DockerService({ defaultHost: host });
    await expect(docker.readLogs({}, { id: 'abc', name: 'web', tty: false }, { tail: 5 }, () => undefined))
      .rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('there is no socket there') });
    await cleanup();
  });

  it('given a server that never answers, when Docker is asked, then every call ends at its timeout', async () => {
    const docker = new DockerService({ defaultHost: `tcp://127.0.0.1:${silentPort}`, callTimeoutMs: 300, logTimeoutMs: 300 });
    await expect(docker.version()).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('did not answer the version request within 300ms') });
    await expect(docker.list({ service: 'api' })).rejects.toMatchObject({ code: 'timeout' });
    await expect(docker.restart({}, 'abc', 0)).rejects.toMatchObject({ code: 'timeout' });
    await expect(docker.readLogs({}, { id: 'abc', name: 'web', tty: false }, {}, () => undefined)).rejects.toMatchObject({ code: 'timeout' });
  });

  it("given a target's dockerHost override, when the bot's status command runs, then the override is used and the reply is a clear failure", async () => {
    const port = await freePort();
    let bot: TestBot | undefined;
    try {
      bot = await startTestBot({
        http: false,
        env: { DOCKER_HOST: `tcp://127.0.0.1:${silentPort}` },
        yaml: `
targets:
  api:
    container: { name: api, dockerHost: "tcp://127.0.0.1:${port}" }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:operator": [admin] }
`,
      });
      const r = await bot.bot.router.handle({ subject: bot.bot.consoleSubject, surface: 'console', line: 'status api' });
      expect(r.reply.status).toBe('fail');
      expect(r.reply.blocks).toEqual([{ type: 'text', text: `Docker is not reachable at tcp://127.0.0.1:${port}: connection refused (is dockerd running?)` }]);
    } finally {
      await bot?.stop();
    }
  });
});

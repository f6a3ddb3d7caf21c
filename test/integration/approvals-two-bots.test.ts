/**
 * Approvals across two real `opsbot start` processes on one data folder (embedded SQLite store,
 * store-backed coordination), driven through their consoles with `--as`:
 * - a production restart asked on bot A and approved at the same moment on A and on B runs once;
 * - the process running an approved restart is killed with SIGKILL mid-execution: after its
 *   restart the request reads `interrupted` and the restart is not run again.
 * Docker is a stand-in on loopback (DOCKER_HOST) that records every request it gets: it fails
 * them at once (first test) or never answers (second test, so the execution is still running).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { SqliteStore } from '../../src/core/store/index.js';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { startBotProcess, type RunningBot } from '../support/process.js';

const CONFIG = `
bot: { consoleUser: "console:alice", shutdownTimeout: 5s }
people:
  alice: { console: alice, roles: [operator] }
  bob:   { console: bob, roles: [sre-lead] }
targets:
  api:
    environment: production
    container: { name: pixelforge-api, restartTimeout: 60s }
rbac:
  roles:
    operator: { allow: ["health", "status", "restart", "approvals"] }
    sre-lead: { allow: ["health", "status"] }
approvals:
  rules:
    - commands: [restart]
      environments: [production]
      approvers: [sre-lead]
      count: 1
      expires: 30m
      reason: required
`;

interface Request { _id: string; state: string; owner?: { pid: number }; approvals: { subject: string }[] }
interface AuditRow { _id: string; command: string; approval?: string; state?: string; subject: string }

/** A Docker Engine stand-in: records each request; `fail` answers 500 at once, `hang` never answers. */
async function dockerStandIn(port: number) {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let mode: 'fail' | 'hang' = 'fail';
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (mode === 'fail') res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"stand-in: no engine"}');
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    requests,
    set mode(m: 'fail' | 'hang') { mode = m; },
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

describe('approvals with two bot processes on one data folder', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  let docker: Awaited<ReturnType<typeof dockerStandIn>>;
  const bots: Record<'a' | 'b', { bot?: RunningBot; port: number }> = { a: { port: 0 }, b: { port: 0 } };

  const start = async (which: 'a' | 'b') => {
    const slot = bots[which];
    slot.bot = startBotProcess(['start'], { ...env, PORT: String(slot.port), LOG_LEVEL: 'warn' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${slot.port}/healthz`).catch(() => undefined))?.ok, { what: `bot ${which} healthz`, timeoutMs: 60_000 });
  };
  const bot = (which: 'a' | 'b'): RunningBot => bots[which].bot as RunningBot;
  const withStore = async <T>(fn: (s: SqliteStore) => Promise<T>): Promise<T> => {
    const store = await SqliteStore.open(env.OPSBOT_DATA_DIR as string);
    try { return await fn(store); } finally { await store.close(); }
  };
  const request = (id: string) => withStore((s) => s.collection<Request>('approvals').findOne({ _id: id }));
  const restartsOf = (id: string) => withStore(async (s) => (await s.collection<AuditRow>('audit').find({ command: 'restart' })).filter((e) => e.approval === id));
  /** Asks on bot A as alice; resolves with the request id printed there. */
  const ask = async (reason: string): Promise<string> => {
    const before = new Set([...bot('a').stdout().matchAll(/Approval requested: (r[a-z0-9]+)/g)].map((m) => m[1]));
    bot('a').send(`restart api --reason "${reason}" --as alice`);
    return waitFor(() => [...bot('a').stdout().matchAll(/Approval requested: (r[a-z0-9]+)/g)].map((m) => m[1]).find((id) => id && !before.has(id)), { what: 'request id on bot a', timeoutMs: 30_000 });
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir('opsbot-approvals-two-'));
    const configFile = path.join(dir, 'opsbot.yaml');
    await writeFile(configFile, CONFIG);
    const dockerPort = await freePort();
    docker = await dockerStandIn(dockerPort);
    env = { HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, DOCKER_HOST: `tcp://127.0.0.1:${dockerPort}` };
    bots.a.port = await freePort();
    bots.b.port = await freePort();
    await Promise.all([start('a'), start('b')]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(Object.values(bots).map((s) => s.bot?.stop('SIGKILL')));
    await docker?.close();
    await cleanup?.();
  });

  it('given a request asked on bot A, when bob approves it at the same moment on A and on B, then the restart runs exactly once', async () => {
    docker.mode = 'fail';
    const id = await ask('leak after 2.4.1');
    expect((await request(id))?.state).toBe('pending');

    // When both consoles get the approval at the same moment
    bot('a').send(`approve ${id} --as bob`);
    bot('b').send(`approve ${id} --as bob`);

    // Then one bot approves it and the other is told it is decided already
    await waitFor(async () => ['executed'].includes((await request(id))?.state ?? ''), { what: 'executed', timeoutMs: 30_000 });
    const answers = await waitFor(() => {
      const all = [bot('a').stdout(), bot('b').stdout()].map((o) => ({ approved: o.includes(`Approved ${id}`), refused: new RegExp(`${id} is already (approved|executing|executed)|${id} is changing under many hands`).test(o) }));
      return all.every((x) => x.approved || x.refused) ? all : undefined;
    }, { what: 'an answer on both consoles', timeoutMs: 30_000 });
    expect(answers.filter((x) => x.approved)).toHaveLength(1);
    const req = await request(id);
    expect(req?.approvals.map((a) => a.subject)).toEqual(['console:bob']);

    // And the restart ran once, as alice, linked to the request
    const restarts = await restartsOf(id);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ subject: 'console:alice', approval: id });
    // (settle: nothing else picks it up later)
    await new Promise((r) => setTimeout(r, 2000));
    expect(await restartsOf(id)).toHaveLength(1);
  }, 90_000);

  it('given an approved restart running, when its process is killed with SIGKILL and started again, then the request is interrupted and nothing re-runs it', async () => {
    docker.mode = 'hang';
    const id = await ask('kernel patch');
    const seenBefore = docker.requests.length;
    bot('b').send(`approve ${id} --as bob`);

    // Given the execution under way: claimed, and its first Docker request hanging
    await waitFor(async () => (await request(id))?.state === 'executing' && docker.requests.length > seenBefore, { what: 'execution started', timeoutMs: 30_000 });
    const runner = (await request(id))?.owner?.pid;
    const which = runner === bot('a').child.pid ? 'a' : 'b';
    expect(bot(which).child.pid).toBe(runner);

    // When the process running it is killed with SIGKILL and started again on the same folder
    await bot(which).stop('SIGKILL');
    const requestsAtKill = docker.requests.length;
    await start(which);

    // Then the request reads `interrupted`…
    await waitFor(async () => (await request(id))?.state === 'interrupted', { what: 'interrupted', timeoutMs: 30_000 });
    // …and the restart is not run again, by the restarted bot or by the other one
    await new Promise((r) => setTimeout(r, 3000));
    expect(docker.requests.length).toBe(requestsAtKill);
    expect((await request(id))?.state).toBe('interrupted');
    const restarts = await restartsOf(id);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ subject: 'console:alice', state: 'interrupted' });
    bot('a').send(`approvals show ${id} --as alice`);
    await bot('a').waitForOutput(new RegExp(`Interrupted: restart on api`), 20_000);
  }, 120_000);
});

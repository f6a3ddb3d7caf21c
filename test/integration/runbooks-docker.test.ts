/**
 * Runbooks end to end on a real dockerd: service-down restarts a real container after an approval
 * (a fake approvals service) and watches it; and a real bot process killed with SIGKILL in the
 * middle of a run leaves it `interrupted`, and the next bot resumes it from that step.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { startDockerd, type DockerdServer } from '../support/docker.js';
import { startTestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { FakeApprovals } from '../support/fake-approvals.js';
import { startBotProcess, type RunningBot } from '../support/process.js';
import type { RunRecord } from '../../src/core/runbooks/run.js';

const WEB = 'opsbot-rb-web';

const yaml = `
bot: { consoleUser: "console:tester", checkTimeout: 2s }
targets:
  web:
    environment: staging
    container: { name: ${WEB}, restartTimeout: 20s, stopTimeout: 1s }
    health:
      - name: web container
        container: { requireHealthy: false }
alerting:
  rate: { messages: 50, per: 1s }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin], "slack:UADMIN": [admin] }
runbooks:
  service-down:
    params: [target]
    steps:
      - run: "status {{target}}"
      - run: "logs {{target}} --lines 50"
      - run: "restart {{target}}"
        approval: true
      - run: "health {{target}}"
        expect: ok
      - watch: "health {{target}}"
        every: 1s
        for: 2s
  watch-web:
    params: [target]
    steps:
      - run: "status {{target}}"
      - watch: "health {{target}}"
        every: 1s
        for: 8s
      - run: "status {{target}}"
`;

describeWithServers(['dockerd'], 'runbooks on a real dockerd', () => {
  let d: DockerdServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  const bots: RunningBot[] = [];

  beforeAll(async () => {
    d = await startDockerd();
    await d.runContainer({ name: WEB, cmd: ['/bin/sh', '-c', 'echo web up; exec sleep 3600'] });
    ({ dir, cleanup } = await tmpDir());
  }, 120_000);

  afterAll(async () => {
    for (const b of bots) await b.stop('SIGKILL');
    await d?.stop();
    await cleanup?.();
  }, 60_000);

  it('given service-down on a real container, when the restart is approved, then it restarts, verifies and watches', async () => {
    const slack = new RecordingGateway('slack');
    const approvals = new FakeApprovals();
    const tb = await startTestBot({
      yaml, http: false, env: { DOCKER_HOST: d.host },
      extra: { chatGateways: [slack], approvals },
      beforeStart: (bot) => approvals.bind(bot.router.runner),
    });
    try {
      const before = (await d.docker.getContainer(WEB).inspect()).State.StartedAt;
      const subject = { id: 'slack:UADMIN' };
      const r = await tb.bot.router.handle({ subject, surface: 'slack', channel: 'C0OPS', line: 'runbook service-down web' });
      const id = /run ([0-9a-f]{8})/.exec(r.reply.title)?.[1] as string;
      const run = async () => (await tb.bot.runbooks.get(id)) as RunRecord;
      await waitFor(async () => ((await run()).state === 'waiting' ? true : undefined), { what: 'the approval step', timeoutMs: 20_000 });
      // Nothing restarted before the approval
      expect((await d.docker.getContainer(WEB).inspect()).State.StartedAt).toBe(before);
      expect(approvals.held[0]?.invocation.line).toBe('restart web');

      await approvals.decide((await run()).waiting as string, 'approved');
      await waitFor(async () => (['succeeded', 'failed'].includes((await run()).state) ? true : undefined), { what: 'the end of the run', timeoutMs: 40_000 });
      const done = await run();
      expect(done.steps.map((s) => s.state)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(done.state).toBe('succeeded');
      expect(done.steps[4]).toMatchObject({ done: 3, total: 3 });
      expect((await d.docker.getContainer(WEB).inspect()).State.StartedAt).not.toBe(before);
      await tb.bot.outbox.idle(20_000);
      const root = slack.calls.find((c) => c.op === 'post' && !c.thread)?.id as string;
      expect(slack.messages.get(root)?.reply.title).toBe('Runbook service-down · web — done');
    } finally {
      await tb.stop();
    }
  }, 90_000);

  it('given a bot killed with SIGKILL in the middle of a run, when a bot starts again, then the run is interrupted at its step and resume finishes it', async () => {
    const configFile = path.join(dir, 'opsbot.yaml');
    await writeFile(configFile, yaml);
    const env = { HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, DOCKER_HOST: d.host, LOG_LEVEL: 'warn' };
    // Given a bot running watch-web, in its watch step
    const first = startBotProcess(['start'], { ...env, PORT: String(await freePort()) });
    bots.push(first);
    first.send('runbook watch-web web');
    const started = await first.waitForOutput(/started: run ([0-9a-f]{8})/, 30_000);
    const id = /started: run ([0-9a-f]{8})/.exec(started)?.[1] as string;
    await first.waitForOutput(/health web\s+▶ running [2-6]\/9/, 30_000);
    // When it is killed
    await first.stop('SIGKILL');

    // And a new bot starts on the same data
    const second = startBotProcess(['start'], { ...env, PORT: String(await freePort()) });
    bots.push(second);
    second.send(`runbook show ${id}`);
    // Then the run is interrupted at step 2, not re-run from the start
    await second.waitForOutput(/Runbook watch-web · web — interrupted at step 2 of 3/, 30_000);
    expect(second.stdout()).not.toMatch(/Step 1 of 3/);
    // When resumed
    second.send(`runbook resume ${id}`);
    await second.waitForOutput(/Run [0-9a-f]{8} resumed/, 30_000);
    // Then it goes on from step 2 to the end
    await second.waitForOutput(/Runbook watch-web · web — done/, 40_000);
    expect(second.stdout()).toMatch(/Step 3 of 3: status web — ✓ ok/);
    second.send(`runbook show ${id}`);
    await second.waitForOutput(/resumed by/, 10_000);
    await second.stop();
  }, 150_000);
});

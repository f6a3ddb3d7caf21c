/**
 * Audit before action, through the real process: a bot killed with SIGKILL in the middle of a
 * `restart` (a real container on a real dockerd, waiting for a check that never passes) leaves a
 * `started` entry, and the next bot shows it as `interrupted` in `audit` and `audit --export jsonl`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, tmpDir } from '../support/servers.js';
import { startDockerd, type DockerdServer } from '../support/docker.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';

const VICTIM = 'opsbot-audit-victim';

describeWithServers(['dockerd'], 'audit of a command cut short by a crash', () => {
  let d: DockerdServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  const bots: RunningBot[] = [];

  beforeAll(async () => {
    d = await startDockerd();
    await d.runContainer({ name: VICTIM, cmd: ['/bin/sleep', '3600'] });
    ({ dir, cleanup } = await tmpDir());
    const configFile = path.join(dir, 'opsbot.yaml');
    // `restart` waits up to 60s for a check on a port nobody listens on: it is still running when the bot is killed.
    await writeFile(configFile, `
bot: { consoleUser: "console:tester", checkTimeout: 1s }
targets:
  victim:
    environment: staging
    container: { name: ${VICTIM}, restartTimeout: 60s, stopTimeout: 1s, waitFor: [never up] }
    health:
      - name: never up
        tcp: { host: 127.0.0.1, port: ${await freePort()} }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin] }
`);
    env = { HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, DOCKER_HOST: d.host };
  }, 120_000);

  afterAll(async () => {
    for (const b of bots) await b.stop('SIGKILL');
    await d?.stop();
    await cleanup?.();
  }, 60_000);

  it('given a bot killed during restart, when the bot starts again, then audit shows the restart as interrupted', async () => {
    // Given a bot that is restarting the container (its entry started, the handler waiting for the check)
    const first = startBotProcess(['start'], { ...env, PORT: String(await freePort()) });
    bots.push(first);
    first.send('restart victim');
    await waitForStderr(first, /restarting containers/);
    await new Promise((r) => setTimeout(r, 1500));
    // When it is killed with SIGKILL (no shutdown, no completion)
    await first.stop('SIGKILL');
    expect(first.stdout()).not.toMatch(/Restarted victim|Restart of victim failed/);

    // And a new bot starts on the same data
    const second = startBotProcess(['start'], { ...env, PORT: String(await freePort()) });
    bots.push(second);
    second.send('audit --command restart');
    // Then the trail shows who started the restart and that it never finished
    const out = await second.waitForOutput(/console:tester\s+console\s+restart victim\s+allowed\s+interrupted/, 30_000);
    expect(out).toContain('Audit trail');

    // And the JSONL export says the same, with the process that owned it
    const exported = await runCli(['exec', 'audit --command restart --export jsonl'], { ...env, PORT: String(await freePort()) });
    expect(exported.code).toBe(0);
    const [entry] = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entry).toMatchObject({ command: 'restart', line: 'restart victim', subject: 'console:tester', state: 'interrupted', owner: { pid: first.child.pid } });
    expect(entry).not.toHaveProperty('outcome');
  }, 120_000);
});

async function waitForStderr(bot: RunningBot, re: RegExp, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!re.test(bot.stderr())) {
    if (Date.now() > until) throw new Error(`no ${re} on stderr:\n${bot.stderr()}\n--- stdout ---\n${bot.stdout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

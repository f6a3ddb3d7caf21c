/**
 * The real process, as a user runs it: `opsbot start` on the embedded default, driven through
 * stdin, checked over HTTP; `opsbot exec` and `validate-config` exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';

let dir: string;
let cleanup: () => Promise<void>;
let closedPort: number;

const configFor = (port: number) => `
bot: { consoleUser: "console:tester", shutdownTimeout: 5s }
targets:
  self:
    environment: local
    health:
      - name: own healthz
        http: { url: "http://127.0.0.1:${port}/healthz", json: { status: ok } }
      - name: memory
        memory: { maxUsedPercent: 100 }
  broken:
    environment: production
    health:
      - name: nothing listens
        tcp: { host: 127.0.0.1, port: ${closedPort} }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin] }
`;

beforeAll(async () => {
  ({ dir, cleanup } = await tmpDir());
  closedPort = await freePort();
});
afterAll(async () => { await cleanup(); });

describe('opsbot start (embedded default)', () => {
  let bot: RunningBot;
  let port: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    port = await freePort();
    const configFile = path.join(dir, 'opsbot.yaml');
    await writeFile(configFile, configFor(port));
    env = { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: configFile, SOME_TOKEN: 'tok-should-not-leak' };
    bot = startBotProcess(['start'], env);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
  }, 40_000);
  afterAll(async () => { await bot?.stop('SIGKILL'); });

  it('given a console line, then it prints a readable health report', async () => {
    bot.send('/ops health self');
    const out = await bot.waitForOutput(/\[OK\] Health: self[\s\S]*own healthz\s+ok/);
    expect(out).toMatch(/Target\s+Check\s+Status\s+Detail\s+Time/);
  });

  it('serves /healthz, /readyz and /metrics with invocation counts', async () => {
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { store: { ready: true }, 'surface:console': { ready: true } } });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/opsbot_process_resident_memory_bytes \d+/);
    expect(metrics).toMatch(/opsbot_invocations_total\{command="health",outcome="ok",surface="console"\} 1/);
    expect(metrics).toMatch(/opsbot_invocation_duration_seconds_bucket\{le="0.5",command="health",outcome="ok"\}/);
  });

  it('logs pino JSON with the invocation id on every line of a command, secrets redacted', async () => {
    bot.send('health broken');
    await bot.waitForOutput(/\[FAIL\] Health: broken/);
    const lines = bot.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const inv = lines.find((l) => l.msg === 'invocation' && l.command === 'health' && l.outcome === 'failed');
    expect(inv).toMatchObject({ invocationId: expect.stringMatching(/^[0-9a-f]{12}$/), subject: 'console:tester', surface: 'console' });
    expect(bot.stderr()).not.toContain('tok-should-not-leak');
  });

  it('at end of input it stops reading but keeps serving HTTP; SIGTERM exits 0 after flushing the store', async () => {
    bot.send('audit --limit 5');
    await bot.waitForOutput(/\[INFO\] Audit trail/);
    bot.endInput();
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await bot.stop('SIGTERM')).toBe(0);
    expect(bot.stderr()).toMatch(/"msg":"stopped"/);
  });

  it('given a restart on the same data directory, then the audit trail is still there', async () => {
    const again = startBotProcess(['start'], env);
    try {
      again.send('audit --limit 10');
      const out = await again.waitForOutput(/\[INFO\] Audit trail[\s\S]*ref /);
      expect(out).toMatch(/console:tester\s+console\s+\/ops health self\s+allowed\s+ok/);
      expect(out).toMatch(/health broken\s+allowed\s+failed/);
    } finally {
      expect(await again.stop('SIGINT')).toBe(0);
    }
  });
});

describe('opsbot exec and validate-config', () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    const configFile = path.join(dir, 'exec.yaml');
    await writeFile(configFile, configFor(closedPort));
    env = { OPSBOT_DATA_DIR: path.join(dir, 'exec-data'), OPSBOT_CONFIG: configFile };
  });

  it('exits 0 when every check passes, 1 when one fails, 2 on a usage error', async () => {
    await writeFile(path.join(dir, 'ok.yaml'), 'targets:\n  m:\n    health:\n      - memory: { maxUsedPercent: 100 }\n');
    const ok = await runCli(['exec', '--config', path.join(dir, 'ok.yaml'), 'health all'], env);
    expect(ok.stdout).toContain('[OK] Health: all targets');
    expect(ok.code).toBe(0);
    const failed = await runCli(['exec', 'health', 'broken'], env);
    expect(failed.stdout).toMatch(/nothing listens\s+FAIL\s+127\.0\.0\.1:\d+ refused the connection/);
    expect(failed.code).toBe(1);
    const usage = await runCli(['exec', 'helth'], env);
    expect(usage.stdout).toContain('Did you mean `health`?');
    expect(usage.code).toBe(2);
    const dry = await runCli(['exec', 'health all --dry-run'], env);
    expect(dry.stdout).toContain('Would run 3 health checks on self, broken');
    expect(dry.code).toBe(0);
  }, 60_000);

  it('validate-config lists every problem with its key path and exits 78; a good file exits 0', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'targets:\n  web:\n    health:\n      - http: { url: nope }\n      - tcp: { host: h }\n');
    const r = await runCli(['validate-config', bad], {});
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('targets.web.health[0].http.url: Invalid URL');
    expect(r.stderr).toMatch(/targets\.web\.health\[1\]\.tcp\.port: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const good = await runCli(['validate-config', 'config/default.yaml'], {});
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/valid — 1 target\(s\) \(self\)/);
  }, 60_000);

  it('start with a bad config stops with the problems and exit code 78, no stack trace', async () => {
    const r = await runCli(['start', '--config', path.join(dir, 'bad.yaml')], { PORT: '0' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('Invalid configuration');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('--help documents every subcommand', async () => {
    const r = await runCli(['--help'], {});
    expect(r.code).toBe(0);
    for (const sub of ['start', 'exec', 'validate-config']) expect(r.stdout).toContain(sub);
  });
});

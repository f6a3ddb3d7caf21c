/** `opsbot exec`: the stable error code in `--json` and on stderr, with the documented exit codes. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir } from '../support/servers.js';
import { runCli } from '../support/process.js';

describe('opsbot exec error codes', () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tmpDir();
    cleanup = t.cleanup;
    const configFile = path.join(t.dir, 'opsbot.yaml');
    await writeFile(configFile, `
bot: { consoleUser: "console:tester" }
targets:
  broken:
    health:
      - name: nothing listens
        tcp: { host: 127.0.0.1, port: ${await freePort()} }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:tester": [admin] }
`);
    env = { OPSBOT_DATA_DIR: path.join(t.dir, 'data'), OPSBOT_CONFIG: configFile };
  });
  afterAll(async () => { await cleanup(); });

  it('given an unknown command, then --json carries the code, stderr names it, and the exit code is 2', async () => {
    const r = await runCli(['exec', '--json', 'helth'], env);
    expect(r.code).toBe(2);
    const result = JSON.parse(r.stdout) as { outcome: string; invocationId: string; error: { code: string; message: string }; reply: { visibility: string } };
    expect(result).toMatchObject({ outcome: 'usage', error: { code: 'unknown_command', message: 'Unknown command `helth`' }, reply: { visibility: 'ephemeral' } });
    expect(r.stderr).toContain('opsbot: unknown_command: Unknown command `helth`');
  }, 60_000);

  it('given a failing check, then the code is failed and the exit code 1; given success, no error at all', async () => {
    const failed = await runCli(['exec', '--json', 'health broken'], env);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ command: 'health', outcome: 'failed', error: { code: 'failed' } });
    expect(failed.stderr).toContain('opsbot: failed: Health: broken');
    const ok = await runCli(['exec', '--json', 'help'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).not.toHaveProperty('error');
    expect(ok.stderr).toBe('');
  }, 60_000);

  it('given audit --export jsonl, then stdout is the trail as JSON lines and nothing else', async () => {
    const r = await runCli(['exec', 'audit --export jsonl'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; state: string; code?: string });
    expect(lines.map((l) => [l.command, l.state, l.code])).toEqual(expect.arrayContaining([['unknown', 'failed', 'unknown_command'], ['health', 'failed', 'failed'], ['help', 'ok', undefined]]));
  }, 60_000);
});

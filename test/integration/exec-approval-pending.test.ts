/**
 * `opsbot exec --json` of a command an approvals rule holds, as README "Command line" describes
 * it: the request was made (outcome `ok`), nothing ran, so `pending.approval` names the request,
 * the error code is `approval_pending`, stderr says so and the exit code is 1.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tmpDir } from '../support/servers.js';
import { bareEnv, runCliBare } from '../support/process.js';

let dir: string;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ dir, cleanup } = await tmpDir());
  const file = path.join(dir, 'opsbot.yaml');
  await writeFile(file, [
    'bot: { consoleUser: "console:op" }',
    'targets:',
    '  web:',
    '    environment: production',
    '    health:',
    '      - memory: { maxUsedPercent: 100 }',
    'rbac:',
    '  roles: { admin: { allow: ["*"] } }',
    '  subjects: { "console:op": [admin] }',
    'approvals:',
    '  rules:',
    '    - { commands: [maintenance], approvers: [admin] }',
  ].join('\n'));
  env = bareEnv({ OPSBOT_CONFIG: file, OPSBOT_DATA_DIR: path.join(dir, 'data') });
});
afterAll(async () => { await cleanup(); });

describe('opsbot exec of a command held for approval', () => {
  it('given an approvals rule on the command, then --json has outcome ok, pending.approval and error approval_pending, and the exit code is 1', async () => {
    const r = await runCliBare(['exec', '--json', 'maintenance web 1h deploy'], env);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { outcome: string; pending?: { approval: string }; error?: { code: string } };
    expect(out.outcome).toBe('ok');
    expect(out.pending?.approval).toMatch(/^\w+$/);
    expect(out.error?.code).toBe('approval_pending');
    expect(r.stderr).toContain(`opsbot: approval_pending: held for approval: request ${out.pending?.approval}`);
    // Nothing ran: no window is open.
    const list = await runCliBare(['exec', 'maintenance list'], env);
    expect(list.stdout).toContain('No target is under maintenance');
  }, 60_000);
});

/**
 * The PixelForge example config: a production restart waits for a second person. In one console
 * (`--as`, as the demo shows it) and through `opsbot exec`, which exits 1 with `approval_pending`.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestBot } from '../support/bot.js';
import { tmpDir, waitFor } from '../support/servers.js';
import { runCli } from '../support/process.js';

const CONFIG = path.join(process.cwd(), 'config/examples/pixelforge.yaml');

describe('PixelForge: approve a production restart', () => {
  it('given the example config, when alice asks in the console and bob approves, then it runs once as alice, after the approval', async () => {
    // DOCKER_HOST points nowhere: the approved restart runs and fails fast, which is enough to see it ran once.
    const t = await startTestBot({ yaml: readFileSync(CONFIG, 'utf8'), console: true, env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    try {
      t.type('restart pixelforge --as alice');
      await waitFor(() => t.output().includes('requires a reason'), { what: 'reason required' });
      t.type('restart pixelforge --reason "memory leak after 2.4.1" --as alice');
      const id = await waitFor(() => /Approval requested: (r[a-z0-9]+)/.exec(t.output())?.[1], { what: 'request id' });
      await waitFor(() => t.output().includes(`Type \`approve ${id}\` or \`deny ${id} [reason]\``), { what: 'request printed' });
      t.type(`approve ${id} --as alice`);
      await waitFor(() => t.output().includes('someone else must approve it'), { what: 'self-approval refused' });
      t.type(`approve ${id} --as bob`);
      await waitFor(async () => (await t.bot.approvals.find(id))?.state === 'executed', { what: 'executed', timeoutMs: 30_000 });
      const req = await t.bot.approvals.find(id);
      expect(req).toMatchObject({ requester: { id: 'console:alice', person: 'alice' }, approvals: [{ subject: 'console:bob', person: 'bob' }] });
      const restarts = (await t.bot.audit.list({ limit: 50, command: 'restart' })).filter((e) => e.approval === id);
      expect(restarts).toHaveLength(1);
      expect(restarts[0]).toMatchObject({ subject: 'console:alice', parentInvocationId: req?.invocationId });
      await waitFor(() => t.output().includes(`[msg`) && t.output().includes('Approved and failed: restart on pixelforge'), { what: 'message updated' });
    } finally {
      await t.stop();
    }
  }, 60_000);

  it('given the example config, when opsbot exec asks for a production restart, then it prints the request id and exits 1 with approval_pending', async () => {
    const { dir, cleanup } = await tmpDir('opsbot-exec-approval-');
    try {
      const r = await runCli(['exec', '--json', 'restart pixelforge --reason "kernel patch"'], { OPSBOT_CONFIG: CONFIG, OPSBOT_DATA_DIR: dir, HOST: '127.0.0.1' });
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { pending?: { approval: string }; error?: { code: string } };
      expect(out.error?.code).toBe('approval_pending');
      expect(out.pending?.approval).toMatch(/^r[a-z0-9]{4}$/);
      expect(r.stderr).toContain(`approval_pending: held for approval: request ${out.pending?.approval}`);
    } finally {
      await cleanup();
    }
  }, 60_000);
});

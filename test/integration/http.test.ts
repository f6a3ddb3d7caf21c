import { afterEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { startTestBot, type TestBot } from '../support/bot.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { AuditLog } from '../../src/core/audit.js';

const yaml = 'targets:\n  m:\n    health:\n      - memory: { maxUsedPercent: 100 }\n';

describe('HTTP endpoints and shutdown (in-process bot)', () => {
  let t: TestBot | undefined;
  afterEach(async () => { await t?.stop().catch(() => undefined); t = undefined; });

  it('given the store goes down, then /readyz answers 503 with the reason while /healthz stays 200', async () => {
    t = await startTestBot({ yaml });
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
    await t.bot.store.close();
    const res = await fetch(`${t.baseUrl}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', checks: { store: { ready: false, reason: 'store is closed' }, coordination: { ready: false, reason: 'store is closed' }, outbox: { ready: true }, 'alert-intake': { ready: true } } });
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
  });

  it('given a command running at shutdown, then stop waits for it (bounded) and its audit entry is written', async () => {
    t = await startTestBot({ yaml, console: true });
    let finished = false;
    t.bot.registry.register(defineCommand({
      name: 'slowop', summary: 'takes a while', params: [], schema: z.object({}), risk: 'read',
      run: () => new Promise((resolve) => setTimeout(() => { finished = true; resolve(textReply('slowop done', 'ok', '')); }, 400)),
    }));
    t.type('slowop');
    await new Promise((r) => setTimeout(r, 50));
    expect(t.bot.router.inFlight).toBe(1);
    await t.bot.stop();
    expect(finished).toBe(true);
    expect(t.output()).toContain('[OK] slowop done');
    // the store was flushed after the drain: a fresh store on the same directory has the entry
    const reopened = await EmbeddedStore.open(t.dataDir);
    expect((await new AuditLog(reopened).list({ limit: 5, command: 'slowop' }))[0]).toMatchObject({ outcome: 'ok' });
    await reopened.close();
  });

  it('answers 404 with JSON for unknown routes', async () => {
    t = await startTestBot({ yaml });
    const res = await fetch(`${t.baseUrl}/nope`);
    expect(res.status).toBe(404);
  });
});

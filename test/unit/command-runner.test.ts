/**
 * The CommandRunner port: a command (a runbook step, an approved request, a scheduled job) runs
 * another command through `ctx.runner`, on the same path as a typed one.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { pino } from 'pino';
import { MAX_NESTING, Router } from '../../src/bot/router.js';
import { CommandRegistry } from '../../src/bot/registry.js';
import { AuditLog } from '../../src/core/audit.js';
import { Rbac } from '../../src/core/rbac.js';
import { Metrics } from '../../src/core/metrics.js';
import { Redactor } from '../../src/core/redact.js';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';
import { rbacSchema } from '../../src/config/schema.js';

const admin = { id: 'console:admin' };
const stagingOperator = { id: 'slack:U1' };

async function setup() {
  const store = await EmbeddedStore.open(null);
  const audit = new AuditLog(store);
  const registry = new CommandRegistry();
  const restarted: string[] = [];
  registry.register(
    defineCommand({
      name: 'restart',
      summary: 'Restart a target',
      params: [{ name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' }],
      schema: z.object({ target: z.enum(['web', 'web-staging']) }),
      risk: 'dangerous',
      targetOf: (a) => a.target,
      async run(_ctx, a) { restarted.push(a.target); return textReply(`restarted ${a.target}`, 'ok', ''); },
    }),
    defineCommand({
      name: 'step',
      summary: 'Runs one command line on behalf of the caller (as a runbook step does)',
      params: [{ name: 'line', kind: 'positional', type: 'string', required: true, rest: true, description: 'command line' }],
      schema: z.object({ line: z.string().min(1) }),
      risk: 'read',
      // The line it runs is checked by RBAC on its own.
      touches: () => 'filtered',
      async run(ctx, a) {
        const child = await ctx.runner.run(a.line, { subject: ctx.subject, surface: 'runbook', parentInvocationId: ctx.invocationId });
        return textReply(`step: ${child.outcome}`, child.outcome === 'ok' ? 'ok' : 'fail', child.invocationId);
      },
    }),
  );
  const router = new Router({
    registry, audit, metrics: new Metrics(), log: pino({ level: 'silent' }), redactor: new Redactor([]),
    rbac: new Rbac(rbacSchema.parse({
      roles: { admin: { allow: ['*'] }, staging: { allow: ['step', 'restart'], environments: ['staging'] } },
      subjects: { 'console:admin': ['admin'], 'slack:U1': ['staging'] },
    })),
    environmentOf: (t) => (t.endsWith('-staging') ? 'staging' : 'production'),
    commandTimeoutMs: 1000,
  });
  return { router, audit, restarted };
}

describe('ctx.runner (CommandRunner)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => { t = await setup(); });

  it('given an allowed caller, when a command runs another through ctx.runner, then the child runs and is audited with the parent id', async () => {
    const parent = await t.router.handle({ subject: admin, surface: 'console', line: 'step restart web' });
    expect(parent.outcome).toBe('ok');
    expect(t.restarted).toEqual(['web']);
    const entries = await t.audit.list({ limit: 10 });
    const child = entries.find((e) => e.command === 'restart');
    const mine = entries.find((e) => e.command === 'step');
    expect(mine).toMatchObject({ invocationId: parent.invocationId, outcome: 'ok' });
    expect(mine?.parentInvocationId).toBeUndefined();
    expect(child).toMatchObject({ subject: 'console:admin', surface: 'runbook', decision: 'allowed', outcome: 'ok', parentInvocationId: parent.invocationId });
    expect(child?.invocationId).not.toBe(parent.invocationId);
  });

  it('given a caller limited to staging, when a command runs a production restart through ctx.runner, then RBAC refuses it and the refusal is audited with the parent id', async () => {
    const parent = await t.router.handle({ subject: stagingOperator, surface: 'slack', line: 'step restart web' });
    expect(parent.reply.title).toBe('step: denied');
    expect(t.restarted).toEqual([]);
    const child = (await t.audit.list({ limit: 10 })).find((e) => e.command === 'restart');
    expect(child).toMatchObject({ subject: 'slack:U1', decision: 'denied', outcome: 'denied', parentInvocationId: parent.invocationId });
  });

  it('given a caller limited to staging, when the step restarts a staging target, then it runs', async () => {
    const parent = await t.router.handle({ subject: stagingOperator, surface: 'slack', line: 'step restart web-staging' });
    expect(parent.reply.title).toBe('step: ok');
    expect(t.restarted).toEqual(['web-staging']);
  });
});

describe('ctx.runner nesting', () => {
  it('given a command that runs itself through ctx.runner, then the loop stops at the nesting limit and is audited', async () => {
    const store = await EmbeddedStore.open(null);
    const audit = new AuditLog(store);
    const registry = new CommandRegistry();
    let calls = 0;
    registry.register(defineCommand({
      name: 'again',
      summary: 'Runs itself',
      params: [],
      schema: z.object({}),
      risk: 'read',
      touches: () => 'filtered',
      async run(ctx) {
        calls++;
        const child = await ctx.runner.run('again', { subject: ctx.subject, surface: 'runbook', parentInvocationId: ctx.invocationId });
        return textReply(`child: ${child.error?.code ?? child.outcome}`, child.outcome === 'ok' ? 'ok' : 'fail', '');
      },
    }));
    const router = new Router({
      registry, audit, metrics: new Metrics(), log: pino({ level: 'silent' }), redactor: new Redactor([]),
      rbac: new Rbac(rbacSchema.parse({ roles: { admin: { allow: ['*'] } }, subjects: { 'console:admin': ['admin'] } })),
      environmentOf: () => undefined,
      commandTimeoutMs: 5000,
    });
    const top = await router.handle({ subject: admin, surface: 'console', line: 'again' });
    expect(calls).toBe(MAX_NESTING + 1);
    expect(top.outcome).toBe('failed');
    const refused = (await audit.list({ limit: 50 })).filter((e) => e.code === 'invalid');
    expect(refused).toHaveLength(1);
  });
});

import { beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { pino } from 'pino';
import { Router } from '../../src/bot/router.js';
import { CommandRegistry } from '../../src/bot/registry.js';
import { AuditLog } from '../../src/core/audit.js';
import { Rbac } from '../../src/core/rbac.js';
import { Metrics } from '../../src/core/metrics.js';
import { Redactor } from '../../src/core/redact.js';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { defineCommand } from '../../src/core/command.js';
import { UserError } from '../../src/core/errors.js';
import { textReply } from '../../src/core/reply.js';
import { rbacSchema } from '../../src/config/schema.js';
import { helpCommands } from '../../src/handlers/help.js';

const admin = { id: 'console:admin' };
const stranger = { id: 'slack:UNKNOWN' };

async function setup() {
  const store = await EmbeddedStore.open(null);
  const audit = new AuditLog(store);
  const registry = new CommandRegistry();
  const ran: unknown[] = [];
  const seenWhileRunning: (string | undefined)[] = [];
  registry.register(
    ...helpCommands(() => registry.all()),
    defineCommand({
      name: 'restart',
      summary: 'Restart a target',
      params: [
        { name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' },
        { name: 'wait', kind: 'flag', type: 'number', description: 'seconds' },
      ],
      schema: z.object({ target: z.enum(['web', 'db']), wait: z.coerce.number().int().max(60).default(5) }),
      risk: 'dangerous',
      targetOf: (a) => a.target,
      describe: (a) => `restart ${a.target} and wait ${a.wait}s`,
      async run(_ctx, a) { ran.push(a); return textReply(`restarted ${a.target}`, 'ok', ''); },
    }),
    defineCommand({ name: 'unlock', summary: 'writes', params: [], schema: z.object({}), risk: 'write',
      async run() { seenWhileRunning.push((await audit.list({ limit: 1 }))[0]?.state); ran.push('unlock'); return textReply('unlocked', 'ok', ''); } }),
    defineCommand({ name: 'leaky', summary: 'leaks a secret everywhere', params: [], schema: z.object({}), risk: 'read',
      async run() {
        return {
          title: 'tok-123456 in title', status: 'ok',
          blocks: [
            { type: 'text', text: 'text tok-123456' },
            { type: 'fields', fields: [{ label: 'tok-123456', value: 'v tok-123456' }] },
            { type: 'table', title: 't tok-123456', columns: ['c tok-123456'], rows: [['r tok-123456']] },
            { type: 'code', text: 'code tok-123456' },
            { type: 'links', links: [{ label: 'l tok-123456', url: 'https://x.example/?q=tok-123456' }] },
          ],
          buttons: [{ label: 'b tok-123456', command: 'health tok-123456' }],
        };
      } }),
    defineCommand({ name: 'boom', summary: 'fails', params: [], schema: z.object({}), risk: 'read', async run() { throw new Error('secret internals'); } }),
    defineCommand({ name: 'nope', summary: 'user error', params: [], schema: z.object({}), risk: 'read', async run() { throw new UserError('not_found', 'no such thing'); } }),
    defineCommand({ name: 'slow', summary: 'slow', params: [], schema: z.object({}), risk: 'read', timeoutMs: 50,
      run: (ctx) => new Promise((resolve) => { const t = setTimeout(() => resolve(textReply('late', 'ok', '')), 5000); ctx.signal.addEventListener('abort', () => clearTimeout(t)); }) }),
  );
  const router = new Router({
    registry, audit, metrics: new Metrics(), log: pino({ level: 'silent' }), redactor: new Redactor(['tok-123456']),
    rbac: new Rbac(rbacSchema.parse({ roles: { admin: { allow: ['*'] } }, subjects: { 'console:admin': ['admin'] } })),
    environmentOf: () => 'production', commandTimeoutMs: 1000,
  });
  return { router, audit, ran, registry, seenWhileRunning, store };
}

describe('router', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => { t = await setup(); });

  it('given a valid command from an allowed subject, then it runs with parsed args and is audited', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: '/ops restart web --wait 10' });
    expect(r.outcome).toBe('ok');
    expect(t.ran).toEqual([{ target: 'web', wait: 10 }]);
    const [entry] = await t.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ invocationId: r.invocationId, subject: 'console:admin', command: 'restart', decision: 'allowed', outcome: 'ok', args: { target: 'web', wait: 10 } });
  });

  it('given an unknown command, then it suggests the closest one', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'restrat web' });
    expect(r.outcome).toBe('usage');
    expect(r.reply.title).toBe('Unknown command `restrat`');
    expect(r.reply.blocks[0]).toMatchObject({ text: expect.stringContaining('Did you mean `restart`?') });
  });

  it('given a bad argument, then it names the problem, shows usage and runs nothing', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'restart cache' });
    expect(r.outcome).toBe('usage');
    expect(JSON.stringify(r.reply.blocks)).toMatch(/target: .*Usage: restart <target> \[--wait WAIT\]/);
    const r2 = await t.router.handle({ subject: admin, surface: 'console', line: 'restart web --wait 600' });
    expect(JSON.stringify(r2.reply.blocks)).toMatch(/wait: Too big/);
    expect(t.ran).toEqual([]);
  });

  it('given a subject without a role, then only help is allowed and the denial is audited', async () => {
    expect((await t.router.handle({ subject: stranger, surface: 'slack', line: 'help' })).outcome).toBe('ok');
    const r = await t.router.handle({ subject: stranger, surface: 'slack', line: 'restart web' });
    expect(r.outcome).toBe('denied');
    expect(r.reply.visibility).toBe('ephemeral');
    expect(JSON.stringify(r.reply.blocks)).toContain('It needs one of the roles: admin');
    expect(t.ran).toEqual([]);
    // Entries of one millisecond have no order among themselves: find this one by its id.
    expect((await t.audit.list({ limit: 10, subject: 'UNKNOWN' })).find((e) => e.invocationId === r.invocationId)).toMatchObject({ decision: 'denied', command: 'restart' });
  });

  it('given --dry-run, then it describes exactly what it would do and does nothing', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'restart db --dry-run' });
    expect(r.reply.title).toBe('Dry run: restart');
    expect(r.reply.blocks[0]).toMatchObject({ text: 'Would restart db and wait 5s. Risk: dangerous. Nothing was done.' });
    expect(t.ran).toEqual([]);
    expect((await t.audit.list({ limit: 1 }))[0]?.decision).toBe('dry-run');
  });

  it('given a handler bug, then the user sees a generic message with the reference, never the internals', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'boom' });
    expect(r.outcome).toBe('error');
    expect(JSON.stringify(r.reply)).not.toContain('secret internals');
    expect(JSON.stringify(r.reply)).toContain(r.invocationId);
  });

  it('given a user error, then its message is shown; given a slow handler, then it times out', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'nope' });
    expect(r).toMatchObject({ outcome: 'failed', reply: { status: 'fail', blocks: [{ text: 'no such thing' }] } });
    const s = await t.router.handle({ subject: admin, surface: 'console', line: 'slow' });
    expect(s.outcome).toBe('failed');
    expect(JSON.stringify(s.reply.blocks)).toContain('timed out after 50ms');
  });

  it('redacts secrets from the audited line', async () => {
    await t.router.handle({ subject: admin, surface: 'console', line: 'restart web tok-123456' });
    expect((await t.audit.list({ limit: 1 }))[0]?.line).toBe('restart web [redacted]');
  });

  it('given a write command, then its audit entry is started before the handler runs and completed after', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'unlock' });
    expect(t.seenWhileRunning).toEqual(['started']);
    const [entry] = await t.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ invocationId: r.invocationId, command: 'unlock', state: 'ok', outcome: 'ok', version: 2 });
    expect(entry?.owner?.pid).toBe(process.pid);
    expect(entry?.durationMs).toEqual(expect.any(Number));
  });

  it('given an audit trail that cannot be written, then a dangerous command does not run and the user is told why', async () => {
    // Given a store whose audit collection refuses writes
    const audit = t.store.collection('audit');
    const insertOne = audit.insertOne.bind(audit);
    audit.insertOne = async () => { throw new Error('disk full'); };
    try {
      const r = await t.router.handle({ subject: admin, surface: 'console', line: 'restart web' });
      expect(t.ran).toEqual([]);
      expect(r.outcome).toBe('error');
      expect(r.error?.code).toBe('audit_unavailable');
      expect(r.reply.title).toBe('restart was not run');
      expect(JSON.stringify(r.reply)).not.toContain('disk full');
      // And a read command still runs (it changes nothing)
      expect((await t.router.handle({ subject: admin, surface: 'console', line: 'help' })).outcome).toBe('ok');
    } finally {
      audit.insertOne = insertOne;
    }
  });

  it('carries one stable error code in the result and the audit entry', async () => {
    const cases: [string, string, string][] = [
      ['restrat web', 'usage', 'unknown_command'],
      ['restart cache', 'usage', 'usage'],
      ['restart "web', 'usage', 'usage'],
      ['nope', 'failed', 'not_found'],
      ['slow', 'failed', 'timeout'],
      ['boom', 'error', 'internal'],
    ];
    for (const [line, outcome, code] of cases) {
      const r = await t.router.handle({ subject: admin, surface: 'console', line });
      expect({ line, outcome: r.outcome, code: r.error?.code }).toEqual({ line, outcome, code });
      expect((await t.audit.list({ limit: 50 })).find((e) => e.invocationId === r.invocationId)).toMatchObject({ invocationId: r.invocationId, code, state: 'failed' });
    }
    const denied = await t.router.handle({ subject: stranger, surface: 'slack', line: 'restart web' });
    expect(denied.error?.code).toBe('denied');
    const fine = await t.router.handle({ subject: admin, surface: 'console', line: 'help' });
    expect(fine.error).toBeUndefined();
  });

  it('redacts every text of an outgoing reply, not only errors', async () => {
    const r = await t.router.handle({ subject: admin, surface: 'console', line: 'leaky' });
    expect(r.outcome).toBe('ok');
    expect(JSON.stringify(r.reply)).not.toContain('tok-123456');
    expect(r.reply.buttons?.[0]?.label).toBe('b [redacted]');
    expect(r.reply.blocks[2]).toEqual({ type: 'table', title: 't [redacted]', columns: ['c [redacted]'], rows: [['r [redacted]']] });
  });

  it('gives every reply a visibility: results for the channel, everything else for the asker', async () => {
    expect((await t.router.handle({ subject: admin, surface: 'console', line: 'restart web' })).reply.visibility).toBe('channel');
    for (const line of ['nope', 'boom', 'restrat', 'restart web --dry-run', 'help']) {
      expect({ line, v: (await t.router.handle({ subject: admin, surface: 'console', line })).reply.visibility }).toEqual({ line, v: 'ephemeral' });
    }
  });

  it('audits an adapter rejection as a system entry and answers only the asker', async () => {
    const r = await t.router.rejected({ surface: 'discord', subject: { id: 'discord:user:42' }, what: 'button', code: 'expired', title: 'This button has expired', message: 'Type it instead', line: 'ops#1:gone' });
    expect(r).toMatchObject({ outcome: 'usage', error: { code: 'expired' }, reply: { visibility: 'ephemeral', title: 'This button has expired' } });
    expect((await t.audit.list({ limit: 1 }))[0]).toMatchObject({ surface: 'system', origin: 'discord', subject: 'discord:user:42', command: 'rejected button', decision: 'rejected', code: 'expired', line: 'ops#1:gone' });
  });

  it('refuses a duplicate command name at registration', () => {
    expect(() => t.registry.register(defineCommand({ name: 'x', aliases: ['restart'], summary: '', params: [], schema: z.object({}), risk: 'read', run: async () => textReply('', 'ok', '') })))
      .toThrow(/already taken by "restart"/);
  });
});

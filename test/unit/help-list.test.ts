/** `help`'s command list, through the router: built once per command list, and again after a reload replaces a command. */
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { pino } from 'pino';
import { Router } from '../../src/bot/router.js';
import { CommandRegistry } from '../../src/bot/registry.js';
import { AuditLog } from '../../src/core/audit.js';
import { Rbac } from '../../src/core/rbac.js';
import { Metrics } from '../../src/core/metrics.js';
import { Redactor } from '../../src/core/redact.js';
import { EmbeddedStore } from '../../src/core/store/index.js';
import { defineCommand, type AnyCommand } from '../../src/core/command.js';
import { textReply, type ReplyBlock } from '../../src/core/reply.js';
import { rbacSchema } from '../../src/config/schema.js';
import { helpCommands } from '../../src/handlers/help.js';

const admin = { id: 'console:admin' };
const cmd = (name: string, summary: string, params: AnyCommand['params'] = []): AnyCommand => defineCommand({
  name, summary, params, schema: z.object({}).passthrough(), risk: 'read', run: async () => textReply(name, 'ok', summary),
});

async function setup() {
  const store = await EmbeddedStore.open(null);
  const registry = new CommandRegistry();
  registry.register(
    ...helpCommands(() => registry.all()),
    cmd('health', 'Check a target', [{ name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' }]),
    cmd('backup run', 'Back up now'),
    cmd('backup list', 'List backups'),
  );
  const router = new Router({
    registry, audit: new AuditLog(store), metrics: new Metrics(), log: pino({ level: 'silent' }), redactor: new Redactor(),
    rbac: new Rbac(rbacSchema.parse({ roles: { admin: { allow: ['*'] } }, subjects: { 'console:admin': ['admin'] } })),
    environmentOf: () => 'production', commandTimeoutMs: 1000,
  });
  const rows = async () => {
    const r = await router.handle({ subject: admin, surface: 'console', line: 'help' });
    expect(r.outcome).toBe('ok');
    return (r.reply.blocks[0] as Extract<ReplyBlock, { type: 'table' }>).rows;
  };
  return { registry, rows };
}

describe('help: the command list', () => {
  it('given the same commands, when help is asked twice, then both lists are the same, one row per family', async () => {
    const { rows } = await setup();
    const first = await rows();
    expect(first).toEqual([
      ['help [command...]', 'List the commands, or explain one'],
      ['health <target>', 'Check a target'],
      ['backup run|list', '2 subcommands: help backup'],
    ]);
    expect(await rows()).toEqual(first);
  });

  it('given a reload that replaces a command in place, when help is asked again, then the list shows the new one', async () => {
    const { registry, rows } = await setup();
    await rows();
    registry.replace(cmd('health', 'Check a target, now with --deep', [{ name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' }, { name: 'deep', kind: 'flag', type: 'boolean', description: 'deep' }]));
    expect((await rows())[1]).toEqual(['health <target> [--deep]', 'Check a target, now with --deep']);
  });

  it('given a command registered after the first help, when help is asked again, then it is listed', async () => {
    const { registry, rows } = await setup();
    await rows();
    registry.register(cmd('whoami', 'Who am I'));
    expect((await rows()).map((r) => r[0])).toContain('whoami');
  });
});

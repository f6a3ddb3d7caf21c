/**
 * TargetServices hands a command of a replaced, closed generation to the current one (the router
 * looked it up before the reload and runs it after); the current generation's commands, closed at
 * stop, run on themselves (nothing newer exists).
 */
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { pino } from 'pino';
import { CommandRegistry } from '../../src/bot/registry.js';
import { defineCommand, type AnyCommand, type CommandContext } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';
import type { Config } from '../../src/config/schema.js';
import type { Operations } from '../../src/wiring/operations.js';
import { TargetServices } from '../../src/wiring/reload/target-services.js';
import { allTargetCommands } from '../../src/wiring/target-commands.js';

const ctx = {} as CommandContext;

function services() {
  let made = 0;
  const closed: number[] = [];
  const registry = new CommandRegistry();
  const ts = new TargetServices({} as Config, {
    build: () => {
      const n = ++made;
      const cmd: AnyCommand = defineCommand({ name: 'user locked', summary: 'x', params: [], schema: z.object({}), risk: 'read', run: async () => textReply(`generation ${n}`, 'ok', '') });
      return { ops: { close: async () => { closed.push(n); } } as unknown as Operations, families: { health: [], user: [cmd], containers: [], backup: [], checklist: [] } };
    },
    registry: () => registry,
    log: pino({ level: 'silent' }),
  });
  registry.register(...allTargetCommands(ts.families));
  return { ts, closed };
}

describe('TargetServices across a reload', () => {
  it('given a command of generation 1 looked up before a reload, when it runs after generation 1 was closed, then generation 2 runs it', async () => {
    const { ts, closed } = services();
    const old = ts.families.user[0] as AnyCommand;
    ts.prepare({} as Config).commit();
    await new Promise((r) => setImmediate(r));
    expect(closed).toEqual([1]);
    expect((await old.run(ctx, {} as never)).title).toBe('generation 2');
  });

  it('given the bot stopped (every generation closed), when a command of the current one runs, then it runs on itself and does not loop', async () => {
    const { ts } = services();
    const current = ts.families.user[0] as AnyCommand;
    await ts.closeAll();
    expect((await current.run(ctx, {} as never)).title).toBe('generation 1');
  });
});

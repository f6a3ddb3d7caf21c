/** CommandRegistry.replace: a reload's target families swapped in place, all or nothing. */
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { CommandRegistry } from '../../src/bot/registry.js';
import { defineCommand, type AnyCommand } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';

const cmd = (name: string, said: string, aliases?: string[]): AnyCommand => defineCommand({
  name, summary: said, params: [], schema: z.object({}), risk: 'read', ...(aliases ? { aliases } : {}),
  run: async () => textReply(said, 'ok', said),
});

describe('CommandRegistry.replace', () => {
  it('given registered commands, when some are replaced, then lookups and aliases serve the new ones, in the same places of the list', () => {
    const reg = new CommandRegistry().register(cmd('help', 'help'), cmd('health', 'old health', ['hc']), cmd('backup run', 'old backup'));
    reg.replace(cmd('health', 'new health', ['hc']), cmd('backup run', 'new backup'));
    expect(reg.all().map((c) => `${c.name}: ${c.summary}`)).toEqual(['help: help', 'health: new health', 'backup run: new backup']);
    expect(reg.get('hc')?.summary).toBe('new health');
    expect(reg.match(['backup', 'run', 'web'])?.command.summary).toBe('new backup');
  });

  it('given a replacement whose alias another command holds, or a name not registered, then it throws and nothing changes', () => {
    const reg = new CommandRegistry().register(cmd('help', 'help', ['h']), cmd('health', 'old health'));
    expect(() => reg.replace(cmd('health', 'new health', ['h']))).toThrow('command name "h" of "health" is already taken by "help"');
    expect(() => reg.replace(cmd('health', 'new health'), cmd('nosuch', 'x'))).toThrow('command "nosuch" is not registered');
    expect(reg.get('health')?.summary).toBe('old health');
    expect(reg.get('h')?.name).toBe('help');
    expect(reg.all()).toHaveLength(2);
  });

  it('given a replacement that drops an alias, then the alias no longer resolves', () => {
    const reg = new CommandRegistry().register(cmd('health', 'old', ['hc']));
    reg.replace(cmd('health', 'new'));
    expect(reg.get('hc')).toBeUndefined();
    expect(reg.names()).toEqual(['health']);
  });
});

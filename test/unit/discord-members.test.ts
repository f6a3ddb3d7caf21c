/** Discord members as RBAC subjects, and button custom_ids. */
import { describe, expect, it } from '@jest/globals';
import { subjectOf } from '../../src/bot/adapters/discord/interactions.js';
import { ButtonCommands, inlineCustomId } from '../../src/bot/adapters/discord/buttons.js';
import { openStore } from '../../src/core/store/index.js';

describe('Discord subjects', () => {
  it('maps an interaction member (raw) to discord:user and discord:role subjects', () => {
    const s = subjectOf({ user: { id: '42', username: 'alice' }, guildId: 'g1', member: { roles: ['7', '8'] } as never });
    expect(s).toEqual({ id: 'discord:user:42', groups: ['discord:role:7', 'discord:role:8'], display: '@alice' });
  });

  it('takes every role id of a cached guild member, also roles missing from the cache, never @everyone', () => {
    const member = { _roles: ['7', '9'], roles: { cache: new Map([['g1', {}], ['7', {}]]) } };
    const s = subjectOf({ user: { id: '42', username: 'alice' }, guildId: 'g1', member: member as never });
    expect(s.groups).toEqual(['discord:role:7', 'discord:role:9']);
  });

  it('has no groups in a direct message', () => {
    expect(subjectOf({ user: { id: '42', username: 'alice' }, guildId: null, member: null }).groups).toEqual([]);
  });
});

describe('button custom_ids', () => {
  it('inlines short commands and stores long ones, within 100 characters and unique per message', async () => {
    const store = await openStore({ dataDir: null });
    const buttons = new ButtonCommands(store.collection('discord_buttons'));
    const long = `runbook restart-everything ${'x'.repeat(200)}`;
    const id = await buttons.prepare({ title: 't', status: 'info', blocks: [], buttons: [{ label: 'a', command: 'ack a1' }, { label: 'b', command: 'ack a1' }, { label: 'c', command: long }] });
    const ids = ['ack a1', 'ack a1', long].map((c, i) => id(c, i) as string);
    expect(new Set(ids).size).toBe(3);
    for (const x of ids) expect(x.length).toBeLessThanOrEqual(100);
    expect(await buttons.commandOf(ids[0] as string)).toBe('ack a1');
    expect(await buttons.commandOf(ids[2] as string)).toBe(long);
    expect(await buttons.commandOf('ops#0:unknown-key')).toBeUndefined();
    expect(await buttons.commandOf('someone-elses-button')).toBeUndefined();
    expect(inlineCustomId('x'.repeat(100), 0)).toBeUndefined();
    await store.close();
  });
});

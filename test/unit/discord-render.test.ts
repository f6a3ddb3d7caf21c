/** The Discord renderer never produces a payload Discord would reject, whatever the reply holds. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { APIEmbed } from 'discord.js';
import type { Reply, ReplyBlock, ReplyButton, Status } from '../../src/core/reply.js';
import { renderButtonOutcome, renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { discordMessageProblems } from '../../src/bot/adapters/discord/fit.js';
import { inlineCustomId } from '../../src/bot/adapters/discord/buttons.js';
import { checkWithDiscordJs } from '../support/discord-limits.js';

const customId = (command: string, i: number) => inlineCustomId(command, i);
const STATUSES: Status[] = ['ok', 'warn', 'fail', 'info', 'denied', 'error'];

function assertAccepted(msg: ReturnType<typeof renderDiscord>): void {
  expect(discordMessageProblems(msg)).toEqual([]);
  // And discord.js's own validating builders agree, and count at most 6,000 characters
  expect(checkWithDiscordJs(msg as never)).toBeLessThanOrEqual(6000);
}

const longText = (max: number) => fc.string({ unit: 'grapheme-composite', maxLength: max });
const cell = fc.oneof(fc.string({ maxLength: 20 }), longText(400), fc.constant('```'), fc.constant('@everyone'));
const table = fc.integer({ min: 0, max: 500 }).chain((n) => fc.record({
  type: fc.constant('table' as const),
  title: fc.option(longText(300), { nil: undefined }),
  columns: fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 6 }),
  rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 6 }), { minLength: n, maxLength: n }),
}));
const block: fc.Arbitrary<ReplyBlock> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text: longText(7000) }),
  fc.record({ type: fc.constant('fields' as const), fields: fc.array(fc.record({ label: longText(400), value: longText(1500) }), { maxLength: 40 }) }),
  table,
  fc.record({ type: fc.constant('code' as const), title: fc.option(longText(100), { nil: undefined }), text: longText(9000) }),
  fc.record({ type: fc.constant('links' as const), links: fc.array(fc.record({ label: longText(200), url: fc.oneof(fc.webUrl(), fc.string()) }), { maxLength: 30 }) }),
);
const button: fc.Arbitrary<ReplyButton> = fc.oneof(
  fc.record({ label: longText(150), command: fc.string({ minLength: 1, maxLength: 150 }), style: fc.constantFrom('primary' as const, 'danger' as const, undefined) }),
  fc.record({ label: longText(150), url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 700 })) }),
);
const replyArb: fc.Arbitrary<Reply> = fc.record({
  title: longText(600),
  status: fc.constantFrom(...STATUSES),
  blocks: fc.array(block, { maxLength: 6 }),
  buttons: fc.option(fc.array(button, { maxLength: 40 }), { nil: undefined }),
  footer: fc.option(longText(3000), { nil: undefined }),
  visibility: fc.constantFrom('ephemeral' as const, 'channel' as const, undefined),
});

describe('Discord renderer', () => {
  it('shows a 500-row table as far as it fits and says how many rows are left', () => {
    // Given a reply with 500 rows of long cells
    const rows = Array.from({ length: 500 }, (_, i) => [`target-${i}`, 'check '.repeat(30), i % 7 ? 'ok' : 'FAIL', 'detail '.repeat(80)]);
    const reply: Reply = { title: 'Health: all targets', status: 'fail', blocks: [{ type: 'text', text: '400 ok, 100 failed' }, { type: 'table', columns: ['Target', 'Check', 'Status', 'Detail'], rows }], footer: 'ref abc' };
    // When it is rendered
    const msg = renderDiscord(reply, { customId });
    // Then Discord would accept it, and the cut is announced with the exact number left out
    assertAccepted(msg);
    const description = (msg.embeds[0] as APIEmbed).description as string;
    const shown = (description.match(/^target-\d+/gm) ?? []).length;
    expect(shown).toBeGreaterThan(5);
    expect(description).toContain(`… and ${500 - shown} more rows`);
    expect(description.length).toBeLessThanOrEqual(4096);
  });

  it('keeps at most 25 buttons in 5 rows and says how many were left out', () => {
    const buttons = Array.from({ length: 31 }, (_, i) => ({ label: `ack ${i}`, command: `ack a${i}` }));
    const msg = renderDiscord({ title: 'Alerts', status: 'warn', blocks: [], buttons }, { customId });
    assertAccepted(msg);
    expect(msg.components).toHaveLength(5);
    expect(msg.components.every((r) => r.components.length === 5)).toBe(true);
    expect(msg.content).toContain('… and 6 more actions');
  });

  it('never pings: mentions in output stay text', () => {
    const msg = renderDiscord({ title: '@everyone', status: 'info', blocks: [{ type: 'text', text: '<@&123> @here' }] }, { customId });
    expect(msg.allowed_mentions).toEqual({ parse: [] });
  });

  it('never exceeds a Discord limit, whatever the reply (property)', () => {
    fc.assert(fc.property(replyArb, (reply) => {
      const msg = renderDiscord(reply, { customId, ephemeral: reply.visibility === 'ephemeral' });
      assertAccepted(msg);
      // Nothing is silently lost: every row of a lone table is shown or counted in "… and N more rows"
      const only = reply.blocks.length === 1 ? reply.blocks[0] : undefined;
      if (only?.type === 'table' && only.rows.length > 0) {
        const d = (msg.embeds[0] as APIEmbed).description ?? '';
        const fenced = /```\n([\s\S]*)\n```/.exec(d);
        const more = Number(/… and (\d+) more rows?$/.exec(d)?.[1] ?? 0);
        if (fenced) expect((fenced[1] as string).split('\n').length - 2 + more).toBe(only.rows.length);
        else expect(d).toMatch(/rows? not shown|more block/);
      }
    }), { numRuns: Number(process.env.FC_RUNS ?? 150) });
  });

  it('never exceeds a limit after a button press that keeps the message\'s embeds (property)', () => {
    const previous = fc.array(fc.record({ title: longText(256), description: longText(4096), fields: fc.array(fc.record({ name: longText(256).map((s) => s || 'x'), value: longText(1024).map((s) => s || 'x') }), { maxLength: 25 }) }), { minLength: 0, maxLength: 10 });
    fc.assert(fc.property(replyArb, previous, fc.string({ maxLength: 300 }), (reply, previousEmbeds, command) => {
      const msg = renderButtonOutcome(reply, { userId: '42', command, previousEmbeds: previousEmbeds as APIEmbed[] }, { customId });
      assertAccepted(msg);
      expect(msg.content).toContain('<@42>');
      expect(msg.embeds.length).toBeGreaterThanOrEqual(1);
    }), { numRuns: Number(process.env.FC_RUNS ?? 100) });
  });
});

/** The Block Kit renderer never produces a message Slack would reject, and says what it left out. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Reply, ReplyBlock, Status } from '../../src/core/reply.js';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { renderButtonOutcome } from '../../src/bot/adapters/slack/outcome.js';
import { SLACK_LIMITS, slackLimitViolations, type SlackBlock } from '../../src/bot/adapters/slack/limits.js';

const piece = fc.constantFrom('a', 'web-01', ' ', '\n', '<', '>', '&', '&amp;', '`', '```', '*', '|', 'é', '😀', 'x'.repeat(120), 'https://example.com/x?a=1&b=2');
const text = (maxLength: number) => fc.array(piece, { maxLength }).map((a) => a.join(''));
const status = fc.constantFrom<Status>('ok', 'warn', 'fail', 'info', 'denied', 'error');

const block: fc.Arbitrary<ReplyBlock> = fc.oneof(
  text(400).map((t) => ({ type: 'text' as const, text: t })),
  fc.array(fc.record({ label: text(30), value: text(80) }), { maxLength: 40 }).map((f) => ({ type: 'fields' as const, fields: f })),
  fc.integer({ min: 1, max: 8 }).chain((cols) => fc.record({
    type: fc.constant('table' as const),
    title: text(10),
    columns: fc.array(text(6), { minLength: cols, maxLength: cols }),
    rows: fc.array(fc.array(text(40), { minLength: cols, maxLength: cols }), { maxLength: 500 }),
  })),
  fc.record({ type: fc.constant('code' as const), title: text(5), text: text(600) }),
  fc.array(fc.record({ label: text(20), url: fc.oneof(fc.webUrl(), text(300).map((s) => `https://x.test/${s}`)) }), { maxLength: 60 }).map((l) => ({ type: 'links' as const, links: l })),
);

const reply: fc.Arbitrary<Reply> = fc.record({
  title: text(200),
  status,
  blocks: fc.array(block, { maxLength: 12 }),
  buttons: fc.array(fc.record({
    label: text(40),
    command: fc.option(text(300), { nil: undefined }),
    url: fc.option(fc.webUrl(), { nil: undefined }),
    style: fc.option(fc.constantFrom<'primary' | 'danger'>('primary', 'danger'), { nil: undefined }),
  }), { maxLength: 40 }),
  visibility: fc.constantFrom<'ephemeral' | 'channel'>('ephemeral', 'channel'),
  footer: text(200),
}, { requiredKeys: ['title', 'status', 'blocks'] });

/** Rows visible in the table sections of a rendered message (fences and repeated header removed). */
function visibleRows(blocks: SlackBlock[]): number {
  let n = 0;
  for (const b of blocks) {
    if (b.type !== 'section' || !b.text?.text.includes('```')) continue;
    const lines = b.text.text.split('\n');
    n += lines.length - 4; // opening fence, header, underline, closing fence
  }
  return n;
}

describe('Slack Block Kit renderer', () => {
  it('never exceeds a Slack limit, whatever the reply (property)', () => {
    fc.assert(fc.property(reply, (r) => {
      const msg = renderSlack(r, { context: ['`/ops health all` by <@U1>'] });
      expect(slackLimitViolations(msg)).toEqual([]);
      expect(msg.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    }), { numRuns: 150 });
  });

  it('never exceeds a limit when a button outcome is merged into an original message (property)', () => {
    fc.assert(fc.property(reply, reply, (original, outcome) => {
      const msg = renderButtonOutcome(renderSlack(original).blocks, outcome, '`ack a1` by <@U1>');
      expect(slackLimitViolations(msg)).toEqual([]);
    }), { numRuns: 60 });
  });

  it('cuts a 500-row table with long cells to what fits and says how many rows are left out', () => {
    // Given a reply with 500 rows of long cells
    const rows = Array.from({ length: 500 }, (_, i) => [`host-${i}`, ...Array.from({ length: 6 }, (_x, j) => `${j}`.repeat(500)), `<detail & ${i}>`]);
    const r: Reply = { title: 'Hosts', status: 'ok', blocks: [{ type: 'text', text: 'summary' }, { type: 'table', columns: ['Host', 'a', 'b', 'c', 'd', 'e', 'f', 'Detail'], rows }] };
    // When it is rendered
    const msg = renderSlack(r);
    // Then Slack would accept it, and the rows shown plus "… and N more rows" account for all 500
    expect(slackLimitViolations(msg)).toEqual([]);
    const shown = visibleRows(msg.blocks);
    const note = JSON.stringify(msg.blocks).match(/… and (\d+) more rows/);
    expect(note).not.toBeNull();
    expect(shown + Number(note?.[1])).toBe(500);
    expect(shown).toBeGreaterThan(40);
    // And mrkdwn control characters are escaped, cells are cut with …
    expect(JSON.stringify(msg.blocks)).toContain('&lt;detail &amp; 0&gt;');
    expect(JSON.stringify(msg.blocks)).toContain('…');
  });

  it('renders status, fields ten to a section, buttons carrying their command, and the footer', () => {
    const r: Reply = {
      title: 'Backup of db',
      status: 'warn',
      blocks: [{ type: 'fields', fields: Array.from({ length: 12 }, (_, i) => ({ label: `k${i}`, value: `v${i}` })) }],
      buttons: [{ label: 'Verify', command: 'backup verify db', style: 'primary' }, { label: 'Docs', url: 'https://example.com/runbook' }, { label: 'Too long', command: 'x'.repeat(2_001) }],
      footer: 'ref abc',
    };
    const msg = renderSlack(r);
    expect(msg.blocks[0]).toMatchObject({ type: 'section', text: { text: ':warning: *Backup of db*' } });
    const sections = msg.blocks.filter((b) => b.type === 'section' && b.fields) as { fields: unknown[] }[];
    expect(sections.map((s) => s.fields.length)).toEqual([10, 2]);
    const actions = msg.blocks.find((b) => b.type === 'actions') as { elements: { value?: string; url?: string; action_id: string; style?: string }[] };
    expect(actions.elements).toEqual([
      expect.objectContaining({ value: 'backup verify db', action_id: 'opsbot:run:0', style: 'primary' }),
      expect.objectContaining({ url: 'https://example.com/runbook', action_id: 'opsbot:link:1' }),
    ]);
    expect(JSON.stringify(msg.blocks)).toContain('… and 1 more action');
    expect(msg.blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ text: 'ref abc' }] });
    expect(msg.text).toBe('[WARN] Backup of db');
  });

  it('splits long text into sections of at most 3,000 characters and keeps every character that fits', () => {
    const long = Array.from({ length: 200 }, (_, i) => `line ${i} ${'y'.repeat(60)}`).join('\n');
    const msg = renderSlack({ title: 't', status: 'info', blocks: [{ type: 'text', text: long }] });
    const texts = msg.blocks.filter((b) => b.type === 'section').slice(1).map((b) => (b as { text: { text: string } }).text.text);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.every((t) => t.length <= 3_000)).toBe(true);
    expect(texts.join('\n')).toBe(long);
  });

  it('the limit checker itself catches what Slack rejects', () => {
    expect(slackLimitViolations({ text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toContain('51 blocks (max 50)');
    expect(slackLimitViolations({ text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3_001) } }] })[0]).toMatch(/3001 characters/);
    expect(slackLimitViolations({ text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] })[0]).toMatch(/11 fields/);
    expect(slackLimitViolations({ text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'b' }, action_id: 'a'.repeat(256), value: 'v'.repeat(2_001) }] }] })).toHaveLength(2);
  });
});

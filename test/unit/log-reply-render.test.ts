/**
 * The logs reply carries its text as a code block bounded only by a neutral size; each renderer
 * fits it to its own platform and keeps the newest lines (the block's `keep: 'end'`).
 */
import { describe, expect, it } from '@jest/globals';
import { Redactor } from '../../src/core/redact.js';
import { fields, type Reply } from '../../src/core/reply.js';
import { LOG_TEXT_MAX, renderLogLines } from '../../src/handlers/containers/index.js';
import type { LogLine } from '../../src/ops/docker/index.js';
import { renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { discordMessageProblems } from '../../src/bot/adapters/discord/fit.js';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';

function logsReply(count: number): Reply {
  const lines: LogLine[] = Array.from({ length: count }, (_, i) => ({ container: 'web', stream: 'stdout', time: Date.parse('2026-11-24T09:00:00Z') + i * 1000, text: `GET /orders/${i} 200 served in ${i % 97}ms by worker ${i % 8}` }));
  const r = renderLogLines(lines, new Redactor(), { multi: false });
  return { title: 'Logs: web', status: 'info', blocks: [fields({ Lines: `${r.shown} lines` }), { type: 'code', text: r.text, keep: 'end' }], visibility: 'ephemeral' };
}

describe('a long logs reply on every surface', () => {
  it('given 1,000 log lines, then the handler keeps the newest within its neutral bound', () => {
    const code = logsReply(1_000).blocks[1] as { text: string };
    expect(code.text.length).toBeLessThanOrEqual(LOG_TEXT_MAX);
    expect(code.text.length).toBeGreaterThan(3_000);
    expect(code.text.endsWith('GET /orders/999 200 served in 29ms by worker 7')).toBe(true);
  });

  it('given the same reply, when Slack and Discord render it, then each stays inside its limits and shows the newest line', () => {
    const reply = logsReply(1_000);
    const slack = renderSlack(reply);
    expect(slackLimitViolations(slack)).toEqual([]);
    expect(JSON.stringify(slack.blocks)).toContain('GET /orders/999 200');
    const discord = renderDiscord(reply, { customId: (c) => c });
    expect(discordMessageProblems(discord)).toEqual([]);
    const description = discord.embeds[0]?.description ?? '';
    expect(description).toContain('GET /orders/999 200 served in 29ms by worker 7');
    expect(description).toMatch(/… \d+ earlier lines not shown/);
    expect(description).not.toContain('GET /orders/700 ');
  });

  it('given a short log, then Discord shows it whole', () => {
    const reply = logsReply(5);
    const description = renderDiscord(reply, { customId: (c) => c }).embeds[0]?.description ?? '';
    expect(description).toContain('GET /orders/0 200');
    expect(description).not.toContain('not shown');
    expect(renderConsole(reply, { colour: false })).toContain('GET /orders/4 200');
  });
});

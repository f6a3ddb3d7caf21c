/**
 * Golden files of rendered Slack messages: a renderer change shows up as a diff of
 * test/golden/slack-*.json. Regenerate with UPDATE_GOLDEN=1 after checking the change is wanted.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reply } from '../../src/core/reply.js';
import { healthReport } from '../../src/handlers/health.js';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { renderButtonOutcome } from '../../src/bot/adapters/slack/outcome.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { inlineCustomId } from '../../src/bot/adapters/discord/buttons.js';

const dir = path.join(process.cwd(), 'test', 'golden');

function golden(name: string, value: unknown): void {
  const file = path.join(dir, `slack-${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const alert: Reply = {
  title: 'FIRING: DiskFull on web-1 (production)',
  status: 'fail',
  blocks: [
    { type: 'text', text: 'Disk /var is 97% full (threshold 90%) <since 10:02>' },
    { type: 'fields', fields: [{ label: 'Severity', value: 'critical' }, { label: 'Alert', value: 'a1b2' }, { label: 'Runbook', value: 'disk-cleanup' }] },
    { type: 'links', links: [{ label: 'Grafana', url: 'https://grafana.example.com/d/disk?var-host=web-1&from=now-1h' }] },
  ],
  buttons: [{ label: 'Acknowledge', command: 'ack a1b2', style: 'primary' }, { label: 'Silence 1h', command: 'silence a1b2 1h' }, { label: 'Escalate', command: 'escalate a1b2', style: 'danger' }],
  visibility: 'channel',
  footer: 'ref 0123456789ab',
};

describe('Slack rendering (golden files)', () => {
  it('a health report', () => {
    const r = healthReport('Health: all targets', [
      { target: 'web', name: 'http', status: 'ok', detail: '200 in 12ms', durationMs: 12 },
      { target: 'db', name: 'tcp 5432', status: 'fail', detail: 'connection refused', durationMs: 3 },
    ] as never);
    const msg = renderSlack(r, { context: ['`/ops health all` by <@U024BE7LH>'] });
    expect(slackLimitViolations(msg)).toEqual([]);
    golden('health', msg);
  });

  it('an alert with buttons, and the same message after a press', () => {
    const msg = renderSlack(alert);
    expect(slackLimitViolations(msg)).toEqual([]);
    golden('alert', msg);
    const after = renderButtonOutcome(msg.blocks, { title: 'Alert a1b2 acknowledged', status: 'ok', blocks: [], visibility: 'channel', footer: 'ref fedcba987654' }, '`ack a1b2` by <@U024BE7LH>');
    expect(slackLimitViolations(after)).toEqual([]);
    golden('alert-acknowledged', after);
  });

  it('the same alert on Discord (test/golden/discord-alert.json, shown in the README)', () => {
    const msg = renderDiscord(alert, { customId: (command, i) => inlineCustomId(command, i) });
    const file = path.join(dir, 'discord-alert.json');
    const text = `${JSON.stringify(msg, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});

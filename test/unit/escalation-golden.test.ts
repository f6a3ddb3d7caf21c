/**
 * Golden files of the page (the direct message) and the escalation line in the alert's thread,
 * as Slack and Discord render them. Regenerate with UPDATE_GOLDEN=1 after checking the change is wanted.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { renderPage, renderPageLine } from '../../src/core/escalation/render.js';
import { snapshotOf } from '../../src/core/escalation/machine.js';
import { escalationPolicySchema } from '../../src/config/oncall-schema.js';
import type { AlertGroup } from '../../src/core/alerts/group.js';

const dir = path.join(process.cwd(), 'test', 'golden');
function golden(name: string, value: unknown): void {
  const file = path.join(dir, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const at = new Date('2026-01-07T10:00:00Z');
const group = {
  _id: 'a1b2', groupKey: '{}:{alertname="ApiDown"}', occurrence: 1, status: 'firing', open: true, receiver: 'opsbot',
  groupLabels: { alertname: 'ApiDown' }, commonLabels: { alertname: 'ApiDown', severity: 'critical', service: 'pixelforge' },
  commonAnnotations: { summary: 'The API answers 503 on /health' }, externalURL: 'http://alertmanager:9093', truncatedAlerts: 0,
  alerts: [{ fingerprint: 'f1', status: 'firing', labels: { alertname: 'ApiDown' }, annotations: {}, startsAt: at, generatorURL: '' }],
  routes: [{ channel: 'slack:C0PAGE', route: 'critical', escalation: 'critical' }], firstSeenAt: at, updatedAt: at, seen: [], heldIn: [],
} as AlertGroup;
const policy = snapshotOf('critical', escalationPolicySchema.parse({
  steps: [{ notify: [{ schedule: 'primary' }] }, { notify: [{ schedule: 'primary', layer: 'next' }] }, { notify: [{ schedule: 'manager' }] }], repeat: 2,
}));
const fired = { step: 1, pass: 0, dueAt: at.getTime() + 30 * 60_000, firedAt: at.getTime() + 47 * 60_000, manual: false };

describe('escalation messages (golden files)', () => {
  it('the page a person gets in a direct message, late after a restart', () => {
    const page = renderPage(group, policy, fired, { lateMs: 17 * 60_000 });
    const slack = renderSlack(page);
    expect(slackLimitViolations(slack)).toEqual([]);
    golden('slack-escalation-dm', slack);
    golden('discord-escalation-dm', renderDiscord(page, { customId: (command, i) => `ops:${i}:${command}` }));
  });

  it('the line in the alert group thread', () => {
    const line = renderPageLine(group, policy, fired, ['@carol'], { nextAt: fired.firedAt + 30 * 60_000 });
    expect(line.title).toBe('paged @carol, step 2 of 3, pass 1 of 3');
    golden('slack-escalation-line', renderSlack(line));
  });
});

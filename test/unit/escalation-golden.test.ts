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
import { escalationBlock, renderPage, renderPageClosed, renderPageLine } from '../../src/core/escalation/render.js';
import { fire, snapshotOf, start } from '../../src/core/escalation/machine.js';
import { renderGroup } from '../../src/core/alerts/render.js';
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

  it('the page after bob acknowledged: no buttons, who and when', () => {
    const acked = { ...group, ackedAt: new Date(at.getTime() + 50 * 60_000), ackedBy: 'bob' } as AlertGroup;
    const page = renderPageClosed(acked, policy, { step: 1, pass: 0 });
    expect(page.buttons).toBeUndefined();
    const slack = renderSlack(page);
    expect(slackLimitViolations(slack)).toEqual([]);
    golden('slack-escalation-dm-acknowledged', slack);
    golden('discord-escalation-dm-acknowledged', renderDiscord(page, { customId: (command, i) => `ops:${i}:${command}` }));
  });

  it('the alert group message with the escalation state: step, who was paged and when, when the next step fires', () => {
    const t0 = at.getTime();
    const first = fire(policy, start(t0), t0);
    const second = first && fire(policy, first.state, t0 + 30 * 60_000);
    if (!second) throw new Error('two steps fire');
    const pages = [
      { who: 'alice', via: 'dm:slack:U0ALICE', step: 0, pass: 0, at },
      { who: 'alice', via: 'dm:discord:user:140000000000000001', step: 0, pass: 0, at },
      { who: 'bob', via: 'dm:slack:U0BOB', step: 1, pass: 0, at: new Date(t0 + 30 * 60_000) },
      { who: 'bob@example.com', via: 'email', step: 1, pass: 0, at: new Date(t0 + 30 * 60_000) },
    ];
    const now = new Date(t0 + 42 * 60_000);
    const block = escalationBlock(policy, second.state, pages, now.getTime(), group);
    expect(block).toEqual({ type: 'fields', fields: [
      { label: 'Escalation', value: 'critical: 2 of 9 step(s) fired; next step 3 of 3 (pass 1) at 2026-01-07T11:00:00Z, in 18m' },
      { label: 'Paged', value: '@alice (step 1, pass 1, 2026-01-07T10:00:00Z), @bob (step 2, pass 1, 2026-01-07T10:30:00Z), bob@example.com (email) (step 2, pass 1, 2026-01-07T10:30:00Z)' },
    ] });
    const msg = renderGroup(group, group.routes[0] as AlertGroup['routes'][number], { now, extra: [block] });
    const slack = renderSlack(msg);
    expect(slackLimitViolations(slack)).toEqual([]);
    golden('slack-alert-escalating', slack);
    // When bob acknowledges, the re-render says the escalation stopped, whatever the record still says
    const acked = { ...group, ackedAt: now, ackedBy: 'bob' } as AlertGroup;
    const stopped = escalationBlock(policy, second.state, pages, now.getTime(), acked);
    expect(stopped).toMatchObject({ fields: [{ label: 'Escalation', value: 'critical: 2 of 9 step(s) fired; stopped, acknowledged by @bob at 2026-01-07T10:42:00Z' }, { label: 'Paged' }] });
    golden('slack-alert-escalation-acknowledged', renderSlack(renderGroup(acked, group.routes[0] as AlertGroup['routes'][number], { now, extra: [stopped] })));
  });
});

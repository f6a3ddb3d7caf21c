/**
 * Golden files of the approval request as each surface renders it (Slack Block Kit, Discord
 * embed and buttons, console text), pending and decided, within each platform's limits.
 * Regenerate with UPDATE_GOLDEN=1 after checking the change is wanted.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requestMessage, type ApprovalRequest } from '../../src/core/approvals/index.js';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { inlineCustomId } from '../../src/bot/adapters/discord/buttons.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import { checkWithDiscordJs } from '../support/discord-limits.js';

const dir = path.join(process.cwd(), 'test', 'golden');

function golden(name: string, text: string): void {
  const file = path.join(dir, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const pending: ApprovalRequest = {
  _id: 'r7k2', line: 'restart pixelforge --reason "memory leak after 2.4.1, see INC-88"', command: 'restart', risk: 'dangerous',
  target: 'pixelforge', environment: 'production', requester: { id: 'slack:U0ALICE', person: 'alice', display: '@alice' }, surface: 'slack', askedChannel: 'C0OPS',
  invocationId: '0123456789ab', description: 'restart the containers of pixelforge (compose service api of project pixelforge) and wait up to 1m for its checks: system health, mongodb, redis',
  reason: 'memory leak after 2.4.1, see INC-88', rule: 'rules[0]', approverRoles: ['sre-lead', 'admin'], count: 1, channels: ['slack:C0APPROVALS'], approvals: [],
  createdAt: new Date('2026-01-01T10:00:00Z'), expiresAt: new Date('2026-01-01T10:30:00Z'), state: 'pending', version: 1,
};
const approved: ApprovalRequest = {
  ...pending, state: 'executed', approvals: [{ subject: 'slack:U0BOB', person: 'bob', display: '@bob', at: new Date('2026-01-01T10:04:00Z') }],
  decidedAt: new Date('2026-01-01T10:04:00Z'), execution: { startedAt: new Date('2026-01-01T10:04:00Z'), outcome: 'ok', invocationId: 'ba9876543210' }, version: 4,
};

describe('approval request rendering (golden files)', () => {
  it.each([['pending', pending], ['approved', approved]] as const)('the %s request on Slack', (name, req) => {
    const msg = renderSlack(requestMessage(req));
    expect(slackLimitViolations(msg)).toEqual([]);
    golden(`slack-approval-${name}.json`, `${JSON.stringify(msg, null, 2)}\n`);
  });

  it.each([['pending', pending], ['approved', approved]] as const)('the %s request on Discord', (name, req) => {
    const msg = renderDiscord(requestMessage(req), { customId: (command, i) => inlineCustomId(command, i) });
    expect(() => checkWithDiscordJs(msg as never)).not.toThrow();
    golden(`discord-approval-${name}.json`, `${JSON.stringify(msg, null, 2)}\n`);
  });

  it.each([['pending', pending], ['approved', approved]] as const)('the %s request in the console', (name, req) => {
    const text = renderConsole(requestMessage(req), { colour: false });
    expect(text).toContain(req.state === 'pending' ? 'deny r7k2 [reason]' : 'Approved by bob');
    golden(`console-approval-${name}.txt`, `${text}\n`);
  });
});

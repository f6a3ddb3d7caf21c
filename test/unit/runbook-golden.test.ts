/**
 * Golden files of a runbook run's living message and a step's thread reply on Slack and Discord:
 * a renderer or progress change shows up as a diff of test/golden/runbook-*.json. Regenerate with
 * UPDATE_GOLDEN=1 after checking the change is wanted. Both stay within the platforms' limits,
 * also for a run of 50 long steps.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderDiscord } from '../../src/bot/adapters/discord/render.js';
import { discordMessageProblems } from '../../src/bot/adapters/discord/fit.js';
import { inlineCustomId } from '../../src/bot/adapters/discord/buttons.js';
import { progressReply, stepReply } from '../../src/core/runbooks/progress.js';
import type { RunRecord } from '../../src/core/runbooks/run.js';
import { checkWithDiscordJs } from '../support/discord-limits.js';

const dir = path.join(process.cwd(), 'test', 'golden');
function golden(name: string, value: unknown): void {
  const file = path.join(dir, `runbook-${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const run: RunRecord = {
  _id: '3f9a2c1b', runbook: 'service-down', description: 'Container down — check, restart, verify, watch',
  definition: [
    { kind: 'run', line: 'status {{target}}', continue: false, approval: false },
    { kind: 'run', line: 'logs {{target}} --lines 50', continue: false, approval: false },
    { kind: 'run', line: 'restart {{target}}', continue: false, approval: true },
    { kind: 'run', line: 'health {{target}}', expect: 'ok', continue: false, approval: false },
    { kind: 'watch', line: 'health {{target}}', everyMs: 60_000, forMs: 900_000, continue: false },
  ],
  values: { target: 'nordlayer' }, target: 'nordlayer', alert: 'a1b2',
  subject: { id: 'slack:U024BE7LH', display: '@alice' }, surface: 'slack', channel: 'C0OPS', invocationId: '0123456789ab',
  channels: ['slack:C0OPS'], state: 'running', step: 2,
  steps: [
    { state: 'ok', line: 'status nordlayer', startedAt: T0, endedAt: T0 + 1200, summary: 'Containers: nordlayer', status: 'ok' },
    { state: 'ok', line: 'logs nordlayer --lines 50', startedAt: T0 + 1200, endedAt: T0 + 2000, summary: 'Logs: nordlayer', status: 'ok' },
    { state: 'running', line: 'restart nordlayer', startedAt: T0 + 2000 },
    { state: 'pending', line: 'health nordlayer' },
    { state: 'pending', line: 'health nordlayer', done: 0, total: 16 },
  ],
  createdAt: T0, updatedAt: T0 + 2000, version: 7,
};
const NOW = T0 + 6300;
const customId = (c: string, i: number) => inlineCustomId(c, i);

const step = stepReply({ ...run, steps: run.steps }, 1, {
  invocationId: 'fedcba987654', command: 'logs', outcome: 'ok',
  reply: { title: 'Logs: nordlayer (50 lines)', status: 'ok', blocks: [{ type: 'code', text: 'INFO started\nERROR db timeout\nINFO retry ok', keep: 'end' }] },
}, NOW);

describe('runbook progress message (golden files)', () => {
  it('on Slack: the living message at step 3 of 5, and a step result in its thread', () => {
    const msg = renderSlack(progressReply(run, NOW));
    expect(slackLimitViolations(msg)).toEqual([]);
    golden('progress-slack', msg);
    const reply = renderSlack(step);
    expect(slackLimitViolations(reply)).toEqual([]);
    golden('step-slack', reply);
  });

  it('on Discord: the same', () => {
    const msg = renderDiscord(progressReply(run, NOW), { customId });
    expect(discordMessageProblems(msg)).toEqual([]);
    golden('progress-discord', msg);
    golden('step-discord', renderDiscord(step, { customId }));
  });

  it('given 50 steps with long lines, then both surfaces stay within their limits', () => {
    const long = 'health nordlayer-with-a-very-long-target-name-that-goes-on-and-on --lines 1000 --grep "x y z"';
    const big: RunRecord = {
      ...run, step: 49, state: 'interrupted', reason: 'interrupted at step 50: the process running it (pid 4242 on host-a) is gone',
      definition: Array.from({ length: 50 }, () => run.definition[0] as RunRecord['definition'][number]),
      steps: Array.from({ length: 50 }, (_, i) => ({ state: i < 49 ? 'ok' as const : 'interrupted' as const, line: long, startedAt: T0, endedAt: T0 + 1000 * i })),
    };
    const reply = progressReply(big, NOW);
    expect(reply.title).toBe('Runbook service-down · nordlayer — interrupted at step 50 of 50');
    expect(reply.buttons?.map((b) => b.command)).toEqual(['runbook resume 3f9a2c1b', 'runbook cancel 3f9a2c1b']);
    expect(slackLimitViolations(renderSlack(reply))).toEqual([]);
    const d = renderDiscord(reply, { customId });
    expect(discordMessageProblems(d)).toEqual([]);
    expect(checkWithDiscordJs(d as never)).toBeLessThanOrEqual(6000);
  });
});

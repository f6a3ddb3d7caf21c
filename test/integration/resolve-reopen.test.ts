/**
 * README, `resolve <alert>`: "mark a group resolved by hand; Alertmanager firing again opens a new
 * occurrence". While the alert still fires, Alertmanager's repeat (repeat_interval) is the same
 * notification byte for byte: it must reopen the group, not be taken for a retry's duplicate.
 * A retry or an HA peer's copy within minutes stays a duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/servers.js';

const TOKEN = 'resolve-reopen-token';
let t: TestBot;
let clock: ManualClock;

const payload = JSON.stringify({
  version: '4', groupKey: '{}:{alertname="QueueStuck"}', truncatedAlerts: 0, status: 'firing', receiver: 'opsbot',
  groupLabels: { alertname: 'QueueStuck' }, commonLabels: { alertname: 'QueueStuck' }, commonAnnotations: {}, externalURL: 'http://am',
  alerts: [{ status: 'firing', labels: { alertname: 'QueueStuck' }, annotations: {}, startsAt: '2026-12-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: 'f-queue' }],
});
const post = async () => {
  const r = await fetch(`${t.baseUrl}/webhooks/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: payload });
  return (await r.json() as { status: string }).status;
};
/** Waits for console output, moving the manual clock on so the outbox's lanes keep sending. */
const printed = (re: RegExp) => waitFor(() => { clock.advance(1_000); return re.exec(t.output()) ?? undefined; }, { what: `console output ${re}`, timeoutMs: 15_000 });

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  t = await startTestBot({ yaml: 'bot: { consoleUser: "console:op" }\ntargets: {}\n', env: { WEBHOOK_TOKEN: TOKEN }, console: true, extra: { clock } });
}, 30_000);
afterAll(async () => { await t?.stop(); });

describe('a group resolved by hand while Alertmanager still fires', () => {
  it('given a hand resolve, when the same notification comes again a minute later, then it is a duplicate; when Alertmanager repeats it hours later, then a new occurrence opens', async () => {
    expect(await post()).toBe('accepted');
    const id = (await printed(/Id:\s+(\w+)/))[1] as string;
    t.type(`resolve ${id}`);
    await printed(/Resolved by console:op/);

    clock.advance(60_000);
    expect(await post()).toBe('duplicate');

    clock.advance(4 * 3_600_000);
    expect(await post()).toBe('accepted');
    await printed(/occurrence 2/);
    t.type('alerts');
    const list = await printed(/Open alert groups: 1\n[\s\S]*?ref \w+/);
    expect(list[0]).toContain('QueueStuck');
    expect(list[0]).not.toContain(`${id} `);
  }, 40_000);
});

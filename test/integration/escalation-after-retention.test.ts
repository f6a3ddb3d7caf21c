/**
 * An escalation is keyed by its group's id, and group ids are short hashes of the group key and
 * the occurrence: once retention has removed a resolved group, the same alert firing again is
 * occurrence 1 again. It must still page — it gets an id that no kept escalation holds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';
import { ManualClock } from '../../src/core/clock.js';

const yaml = `
people:
  alice: { slack: U0ALICE }
schedules:
  primary:
    timezone: UTC
    layers:
      - { people: [alice], shift: 1w, handoff: "Mon 09:00", start: 2026-01-05 }
escalationPolicies:
  critical:
    steps:
      - { notify: [ { schedule: primary } ] }
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 100, per: 1s }
  routes:
    - { matchers: ['severity="critical"'], channels: [fake:page], escalation: critical }
`;

describe('an alert that fires again after retention removed its old group', () => {
  let t: TestBot;
  let fake: RecordingGateway;
  let slack: RecordingGateway;
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 12, 0));
  const alert = (startsAt: string, status: 'firing' | 'resolved' = 'firing') =>
    payload({ alertname: 'ApiDown', alerts: [{ labels: { severity: 'critical', instance: 'api-1' }, startsAt, status }] });
  const pagesToAlice = () => slack.calls.filter((c) => c.op === 'dm' && c.channel === '@slack:U0ALICE');

  beforeAll(async () => {
    fake = new RecordingGateway('fake');
    slack = new RecordingGateway('slack');
    t = await startTestBot({ yaml, extra: { chatGateways: [fake, slack], clock } });
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('given a resolved escalated group removed by retention, when the alert fires again, then it has a new id and alice is paged again', async () => {
    await t.bot.alerts.receive(alert('2026-01-12T11:59:00Z'));
    await t.bot.alerts.settled();
    const [first] = await t.bot.alerts.listOpen();
    await waitFor(() => pagesToAlice().length === 1, { what: 'the first page' });
    await t.bot.alerts.receive(alert('2026-01-12T11:59:00Z', 'resolved'));
    await t.bot.alerts.settled();
    await waitFor(async () => (await t.bot.oncall.escalations.get(first?._id as string))?.phase === 'stopped', { what: 'escalation stopped' });
    await t.bot.outbox.idle(10_000);

    // Retention: the resolved group and the delivered chat messages are gone; the escalation record is kept.
    await t.bot.store.collection('alert_groups').deleteMany({});
    await t.bot.store.collection('outbox').deleteMany({ state: 'sent' });

    clock.advance(31 * 24 * 3_600_000);
    await t.bot.alerts.receive(alert('2026-02-12T12:00:00Z'));
    await t.bot.alerts.settled();
    const [again] = await t.bot.alerts.listOpen();
    expect(again?.occurrence).toBe(1);
    expect(again?._id).not.toBe(first?._id);
    expect((await t.bot.oncall.escalations.get(again?._id as string))?.startedAt).toEqual(clock.date());
    await waitFor(() => pagesToAlice().length === 2, { what: 'the page for the new group' });
  });
});

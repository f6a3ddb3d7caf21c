/** The escalation executor over a real alert service and outbox: pages, thread lines, ack, two engines, restart, nobody on call. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { alertHarness, type AlertHarness } from '../support/alert-harness.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { payload } from '../support/alert-payloads.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { People } from '../../src/core/people.js';
import { peopleSchema } from '../../src/config/people-schema.js';
import { oncallSections } from '../../src/config/oncall-schema.js';
import { OnCall } from '../../src/core/oncall/service.js';
import { Escalations } from '../../src/core/escalation/engine.js';
import { Notifier } from '../../src/core/escalation/notifier.js';
import { DirectMessageGateway } from '../../src/core/escalation/dm-gateway.js';
import { pagedGrant } from '../../src/core/escalation/paged-grant.js';
import { messageKey } from '../../src/core/alerts/service.js';
import type { OutboxGateway } from '../../src/core/outbox/index.js';
import type { Coordination } from '../../src/core/coordination/types.js';

const log = pino({ level: 'silent' });
const MIN = 60_000;
const people = new People(peopleSchema.parse({
  alice: { slack: 'U0ALICE', tz: 'Europe/Berlin' },
  bob: { slack: 'U0BOB', email: 'bob@example.com' },
  carol: { slack: 'U0CAROL' },
}));
const schedules = oncallSections.schedules.parse({
  primary: { timezone: 'Europe/Berlin', layers: [{ people: ['alice', 'bob'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-05' }] },
  manager: { timezone: 'Europe/Berlin', layers: [{ people: ['carol'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-05' }] },
  empty: { timezone: 'Europe/Berlin', layers: [{ people: ['carol'], shift: '1w', start: '2030-01-07' }] },
});
const policies = oncallSections.escalationPolicies.parse({
  critical: { steps: [
    { notify: [{ schedule: 'primary' }], delay: '30m' },
    { notify: [{ schedule: 'primary', layer: 'next' }], delay: '30m' },
    { notify: [{ schedule: 'manager' }, { channel: 'fake:ops', mention: '@here' }] },
  ] },
  nobody: { steps: [{ notify: [{ schedule: 'empty' }] }] },
});

let h: AlertHarness | undefined;
let slack: RecordingGateway;
let fake: RecordingGateway;
let clock: ManualClock;
const engines: Escalations[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  await h?.stop();
  h = undefined;
});

async function setUp(policy = 'critical') {
  slack = new RecordingGateway('slack');
  const surfaces = new Map<string, OutboxGateway>([['slack', slack]]);
  fake = new RecordingGateway('fake');
  h = await alertHarness({ routes: [{ matchers: ['severity="critical"'], channels: ['fake:page'], escalation: policy }] }, { gateways: [fake, slack, new DirectMessageGateway(surfaces)] });
  clock = new ManualClock(Date.UTC(2026, 0, 7, 10, 0)); // Wednesday: alice's week
}

function engine(coordination: Coordination = new MemoryCoordination()): Escalations {
  const harness = h as AlertHarness;
  const oncall = new OnCall(schedules, { store: harness.store, people, clock });
  const notifier = new Notifier({ oncall, people, outbox: harness.outbox, groupMessageKey: messageKey, fallbackChannel: 'fake:fallback', log });
  const e = new Escalations({ store: harness.store, coordination, clock, alerts: harness.alerts, notifier, policies, log, tickMs: 1000 });
  engines.push(e);
  return e;
}

async function fireAlert(): Promise<string> {
  const harness = h as AlertHarness;
  await harness.alerts.receive(payload({ alertname: 'ApiDown', alerts: [{ labels: { instance: 'api-1' } }] }));
  await harness.settle();
  const [g] = await harness.alerts.listOpen();
  return (g as { _id: string })._id;
}

const dmsTo = (user: string) => slack.calls.filter((c) => c.op === 'dm' && c.channel === `@slack:${user}`);
const fakeChat = () => fake;

async function run(...es: Escalations[]) {
  for (const e of es) e.kick();
  await Promise.all(es.map((e) => e.settled()));
  await (h as AlertHarness).outbox.idle(10_000);
}

describe('escalation engine', () => {
  it('given a critical alert, when it opens, then the on-call gets a DM with Acknowledge / Escalate now and the thread says who was paged', async () => {
    await setUp();
    const e = engine();
    await e.start();
    const id = await fireAlert();
    await e.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(e);
    const [dm] = dmsTo('U0ALICE');
    expect(dm?.reply.title).toBe(`Paged: ApiDown (${id})`);
    expect(dm?.reply.buttons?.map((b) => b.command)).toEqual([`ack ${id}`, `escalate ${id}`]);
    const line = fakeChat().threadReplies().find((r) => r.reply.title.startsWith('paged'));
    expect(line?.reply.title).toBe('paged @alice, step 1 of 3');
    expect(await pagedGrant(e)({ id: 'slack:U0ALICE', person: 'alice' }, 'ack', { alert: id })).toMatch(/alice was paged/);
    expect(await pagedGrant(e)({ id: 'slack:U0CAROL', person: 'carol' }, 'ack', { alert: id })).toBeUndefined();
    expect(await pagedGrant(e)({ id: 'slack:U0ALICE', person: 'alice' }, 'restart', { alert: id })).toBeUndefined();

    // when 30 minutes pass, then the secondary (bob) is paged; after 60, the manager and the ops channel
    clock.advance(30 * MIN);
    await run(e);
    expect(dmsTo('U0BOB')).toHaveLength(1);
    clock.advance(30 * MIN);
    await run(e);
    expect(dmsTo('U0CAROL')).toHaveLength(1);
    expect(fakeChat().topLevel().find((m) => m.channel === 'ops')?.reply.mentions).toEqual([{ kind: 'here' }]);
    expect((await e.get(id))?.phase).toBe('exhausted');
  });

  it('given an acknowledged group, when the next step falls due, then nothing more is paged', async () => {
    await setUp();
    const e = engine();
    await e.start();
    const id = await fireAlert();
    await e.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(e);
    await (h as AlertHarness).alerts.acknowledge(id, '@alice');
    clock.advance(90 * MIN);
    await run(e);
    expect(dmsTo('U0BOB')).toHaveLength(0);
    expect((await e.get(id))?.machine.stopReason).toBe('acknowledged by @alice');
  });

  it('given two engines over one store and one coordination, when steps fall due, then each step fires once', async () => {
    await setUp();
    const coordination = new MemoryCoordination();
    const a = engine(coordination);
    const b = engine(coordination);
    await a.start();
    await b.start();
    const id = await fireAlert();
    await Promise.all([a.onAlertEvent({ action: 'alert.opened', alertId: id }), b.onAlertEvent({ action: 'alert.opened', alertId: id })]);
    for (let i = 0; i < 8; i++) {
      clock.advance(10 * MIN);
      await run(a, b);
    }
    expect(dmsTo('U0ALICE')).toHaveLength(1);
    expect(dmsTo('U0BOB')).toHaveLength(1);
    expect(dmsTo('U0CAROL')).toHaveLength(1);
    expect((await a.get(id))?.pages.filter((p) => p.via.startsWith('dm:')).map((p) => p.who)).toEqual(['alice', 'bob', 'carol']);
  });

  it('given a restart mid-escalation, when the new engine starts after the step was due, then it fires once, with a late note', async () => {
    await setUp();
    const first = engine();
    await first.start();
    const id = await fireAlert();
    await first.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(first);
    await first.stop();
    clock.advance(45 * MIN); // down while step 2 fell due (at 30m)
    const second = engine();
    await second.start();
    await run(second);
    const [dm] = dmsTo('U0BOB');
    expect(dm?.reply.blocks.some((b) => b.type === 'text' && /^Late by 15m/.test(b.text))).toBe(true);
    expect(dmsTo('U0ALICE')).toHaveLength(1);
  });

  it('given a schedule with nobody on call, when the step fires, then "nobody on call" is posted to the fallback channel', async () => {
    await setUp('nobody');
    const e = engine();
    await e.start();
    const id = await fireAlert();
    await e.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(e);
    const msg = fakeChat().topLevel().find((m) => m.channel === 'fallback');
    expect(msg?.reply.title).toBe(`Nobody on call: ApiDown (${id})`);
    expect(msg?.reply.blocks[0]).toMatchObject({ type: 'text', text: expect.stringContaining('nobody is on call for schedule empty') });
  });

  it('escalate by hand fires the next step now and is refused once acknowledged', async () => {
    await setUp();
    const e = engine();
    await e.start();
    const id = await fireAlert();
    await e.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(e);
    const { what } = await e.escalate(id, 'alice');
    expect(what).toBe('fired step 2 of 3');
    await run(e);
    expect(dmsTo('U0BOB')).toHaveLength(1);
    await e.escalate(id, 'alice', { person: 'carol' });
    await run(e);
    expect(dmsTo('U0CAROL')).toHaveLength(1);
    await (h as AlertHarness).alerts.acknowledge(id, '@bob');
    await expect(e.escalate(id, 'alice')).rejects.toThrow(/acknowledged by @bob/);
  });
});

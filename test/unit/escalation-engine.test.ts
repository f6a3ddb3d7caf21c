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
import { NOBODY_ALERTNAME, nobodyOnCallRoute } from '../../src/core/escalation/nobody.js';
import type { Reply } from '../../src/core/reply.js';
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
  h = await alertHarness({ routes: [nobodyOnCallRoute('fake:fallback'), { matchers: ['severity="critical"'], channels: ['fake:page'], escalation: policy }] }, { gateways: [fake, slack, new DirectMessageGateway(surfaces)] });
  clock = new ManualClock(Date.UTC(2026, 0, 7, 10, 0)); // Wednesday: alice's week
}

function engine(coordination: Coordination = new MemoryCoordination()): Escalations {
  const harness = h as AlertHarness;
  const oncall = new OnCall(schedules, { store: harness.store, people, clock });
  const notifier = new Notifier({ oncall, people, outbox: harness.outbox, groupMessageKey: messageKey, fallbackChannel: 'fake:fallback', alerts: harness.alerts, log });
  const e = new Escalations({
    store: harness.store, coordination, clock, alerts: harness.alerts, notifier, policies, log, tickMs: 1000,
    repaint: (id) => harness.alerts.repaint(id), outbox: harness.outbox,
  });
  // As src/wiring/oncall.ts wires it: the group message shows the escalation, an ack stops it.
  harness.alerts.extend({ blocks: (g) => e.blocksFor(g), saved: (before, after) => e.onGroupSaved(before, after) });
  engines.push(e);
  return e;
}

async function fireAlert(): Promise<string> {
  const harness = h as AlertHarness;
  await harness.alerts.receive(payload({ alertname: 'ApiDown', alerts: [{ labels: { instance: 'api-1' } }] }));
  await harness.settle();
  const g = (await harness.alerts.listOpen()).find((x) => x.commonLabels.alertname === 'ApiDown');
  return (g as { _id: string })._id;
}

/** The fields of the alert group's message in fake:page, as shown now. */
function groupFields(): Record<string, string> {
  const msg = fake.topLevel().find((m) => m.channel === 'page');
  const out: Record<string, string> = {};
  for (const b of (msg?.reply as Reply).blocks) if (b.type === 'fields') for (const f of b.fields) out[f.label] = f.value;
  return out;
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
    expect((await e.get(id))?.machine.stopReason).toMatch(/^acknowledged by @alice at 20\d\d-/);
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

  it('given a schedule with nobody on call, when the step fires, then an OpsbotNobodyOnCall alert group opens in the fallback channel and can be acknowledged', async () => {
    await setUp('nobody');
    const e = engine();
    await e.start();
    const id = await fireAlert();
    await e.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(e);
    await (h as AlertHarness).settle();
    // Then it is an alert group like any other: in `alerts`, with the schedule and the severity as labels
    const nobody = (await (h as AlertHarness).alerts.listOpen()).find((g) => g.commonLabels.alertname === NOBODY_ALERTNAME);
    expect(nobody?.commonLabels).toEqual({ alertname: NOBODY_ALERTNAME, schedule: 'empty', severity: 'critical' });
    expect(nobody?.routes.map((r) => r.channel)).toEqual(['fake:fallback']);
    expect(nobody?.commonAnnotations.description).toContain(`nobody is on call for schedule empty. Escalation nobody of alert ${id} (ApiDown)`);
    // posted in the fallback channel with its own Acknowledge button, and it starts no escalation of its own
    const msg = fakeChat().topLevel().find((m) => m.channel === 'fallback');
    expect(msg?.reply.title).toBe(`[FIRING:1] ${NOBODY_ALERTNAME}`);
    expect(msg?.reply.buttons?.[0]?.command).toBe(`ack ${nobody?._id}`);
    expect(await e.get(nobody?._id as string)).toBeNull();
    // the escalated group's thread says so
    const line = fakeChat().threadReplies().find((r) => r.reply.title.startsWith('paged nobody'));
    expect(line?.reply.blocks[0]).toEqual({ type: 'text', text: `Nobody on call: nobody is on call for schedule empty. Alert ${NOBODY_ALERTNAME} raised in fake:fallback.` });
    // When someone acknowledges the nobody-on-call alert, then it is acknowledged
    expect((await (h as AlertHarness).alerts.acknowledge(nobody?._id as string, 'carol')).ackedBy).toBe('carol');
  });

  it('given a paged on-call, when someone acknowledges, then the escalation stops at once, the DM loses its buttons and says who, and the group message says stopped', async () => {
    await setUp();
    const e = engine();
    await e.start();
    const id = await fireAlert();
    await e.onAlertEvent({ action: 'alert.opened', alertId: id });
    await run(e);
    // Then the group message shows the escalation: one step fired, who was paged, when the next fires
    expect(groupFields().Escalation).toBe('critical: 1 of 3 step(s) fired; next step 2 of 3 at 2026-01-07T10:30:00Z, in 30m');
    expect(groupFields().Paged).toBe('@alice (step 1, 2026-01-07T10:00:00Z)');
    // And `alerts <id>` (renderFor) shows the same state
    const shown = await (h as AlertHarness).alerts.renderFor(await (h as AlertHarness).alerts.find(id));
    expect(JSON.stringify(shown.blocks)).toContain('critical: 1 of 3 step(s) fired');
    clock.advance(30 * MIN);
    await run(e);
    expect(groupFields().Paged).toBe('@alice (step 1, 2026-01-07T10:00:00Z), @bob (step 2, 2026-01-07T10:30:00Z)');
    expect(groupFields().Escalation).toMatch(/^critical: 2 of 3 step\(s\) fired; next step 3 of 3 at 2026-01-07T11:00:00Z/);
    // When bob acknowledges (no time passes)
    await (h as AlertHarness).alerts.acknowledge(id, 'bob');
    await e.settled();
    await (h as AlertHarness).outbox.idle(10_000);
    // Then the escalation is stopped now, not when step 3 falls due
    expect((await e.get(id))?.phase).toBe('stopped');
    // and both DMs are updated in place: no buttons, acknowledged by @bob
    for (const user of ['U0ALICE', 'U0BOB']) {
      const [dm] = dmsTo(user);
      const now = slack.dms.get(dm?.id as string);
      expect(now?.updates).toBe(1);
      expect(now?.reply.title).toBe(`Acknowledged: ApiDown (${id})`);
      expect(now?.reply.buttons).toBeUndefined();
      expect(JSON.stringify(now?.reply.blocks)).toContain('Acknowledged by @bob');
    }
    expect(groupFields().Escalation).toMatch(/^critical: 2 of 3 step\(s\) fired; stopped, acknowledged by @bob at /);
    clock.advance(60 * MIN);
    await run(e);
    expect(dmsTo('U0CAROL')).toHaveLength(0);
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

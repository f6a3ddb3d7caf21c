/**
 * A refused direct message over a real alert service and outbox (embedded store): the fallback
 * to a mention in the channel, posted once by two engines hearing the same dead page, caught up
 * at start after a crash in between, not posted once the escalation stopped; and the thread
 * line's rewrite.
 */
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
import { refusedLine } from '../../src/core/escalation/render.js';
import { messageKey } from '../../src/core/alerts/service.js';
import { DirectMessageRefused, type MessageRef } from '../../src/core/chat.js';
import type { Reply } from '../../src/core/reply.js';
import type { OutboxGateway } from '../../src/core/outbox/index.js';
import type { Coordination } from '../../src/core/coordination/types.js';

const log = pino({ level: 'silent' });
const MIN = 60_000;
const REASON = 'Slack: they do not take direct messages';
const DISCORD_REASON = 'Discord: they do not accept direct messages from server members';
const people = new People(peopleSchema.parse({
  carol: { slack: 'U0CAROL' },
  bob: { slack: 'U0BOB' },
  dora: { slack: 'U0DORA', discord: '4200000000000042' },
}));
const policies = oncallSections.escalationPolicies.parse({
  critical: { steps: [{ notify: [{ person: 'carol' }], delay: '30m' }, { notify: [{ person: 'bob' }] }] },
  dora: { steps: [{ notify: [{ person: 'dora' }] }] },
});
const REFUSED = new Set(['slack:U0CAROL', 'slack:U0DORA', 'discord:user:4200000000000042']);

/** A surface as far as DMs go: carol's and dora's are refused for good, every other DM is delivered. */
class RefusingGateway extends RecordingGateway {
  refusals = 0;
  override async directMessage(user: string, reply: Reply): Promise<MessageRef> {
    if (REFUSED.has(user)) {
      this.refusals++;
      throw new DirectMessageRefused('conversations.open: messages_tab_disabled', 'messages_tab_disabled', this.name === 'discord' ? DISCORD_REASON : REASON);
    }
    return super.directMessage(user, reply);
  }
}

let h: AlertHarness | undefined;
let slack: RefusingGateway;
let fake: RecordingGateway;
let clock: ManualClock;
let audited: { action: string; message?: string | undefined; detail?: Record<string, unknown> | undefined }[];
const engines: Escalations[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  await h?.stop();
  h = undefined;
});

async function setUp(policy = 'critical') {
  slack = new RefusingGateway('slack');
  fake = new RecordingGateway('fake');
  const discord = new RefusingGateway('discord');
  h = await alertHarness({ routes: [{ matchers: ['severity="critical"'], channels: ['fake:page', 'slack:C0PAGE'], escalation: policy }] }, { gateways: [fake, slack, discord, new DirectMessageGateway(new Map<string, OutboxGateway>([['slack', slack], ['discord', discord]]))] });
  clock = new ManualClock(Date.UTC(2026, 0, 7, 10, 0));
  audited = [];
}

/** An engine as src/wiring/oncall.ts wires it; `hears: false` leaves the outbox's onDead unheard (a crash in between). */
function engine(opts: { coordination?: Coordination; hears?: boolean } = {}): Escalations {
  const harness = h as AlertHarness;
  const oncall = new OnCall({}, { store: harness.store, people, clock });
  const notifier = new Notifier({ oncall, people, outbox: harness.outbox, groupMessageKey: messageKey, fallbackChannel: 'fake:fallback', alerts: harness.alerts, log });
  const e = new Escalations({
    store: harness.store, coordination: opts.coordination ?? new MemoryCoordination(), clock, alerts: harness.alerts, notifier, policies, log, tickMs: 1000,
    repaint: (id) => harness.alerts.repaint(id), outbox: harness.outbox, people, groupMessageKey: messageKey,
    audit: { systemEvent: async (ev) => { audited.push(ev); } },
  });
  harness.alerts.extend({ blocks: (g) => e.blocksFor(g), saved: (before, after) => e.onGroupSaved(before, after) });
  if (opts.hears !== false) harness.outbox.onDead((item, error) => e.onMessageDead(item, error));
  engines.push(e);
  return e;
}

async function fireAlert(e: Escalations): Promise<string> {
  const harness = h as AlertHarness;
  await harness.alerts.receive(payload({ alertname: 'ApiDown', alerts: [{ labels: { severity: 'critical', instance: 'api-1' } }] }));
  await harness.settle();
  const id = (await harness.alerts.listOpen())[0]?._id as string;
  await e.onAlertEvent({ action: 'alert.opened', alertId: id });
  await run(e);
  return id;
}

async function run(...es: Escalations[]) {
  for (const e of es) e.kick();
  await Promise.all(es.map((e) => e.settled()));
  await (h as AlertHarness).outbox.idle(10_000);
}

const fallbacks = () => [...fake.topLevel(), ...slack.topLevel()].filter((m) => m.reply.title.startsWith('Could not DM @carol'));

describe('a refused direct message', () => {
  it('given carol refuses DMs, when step 1 pages her, then each route channel mentions her once, the thread line and group message say so, and step 2 still fires on time', async () => {
    await setUp();
    const e = engine();
    await e.start();
    const id = await fireAlert(e);
    // Then: one fallback per route channel, with her mention where she has an identity
    const list = fallbacks();
    expect(list.map((m) => m.channel).sort()).toEqual(['C0PAGE', 'page']);
    const onSlack = list.find((m) => m.channel === 'C0PAGE');
    expect(onSlack?.reply.title).toBe(`Could not DM @carol (${REASON}) — @carol, you are paged for ApiDown (${id})`);
    expect(onSlack?.reply.mentions).toEqual([{ kind: 'user', surface: 'slack', id: 'U0CAROL' }]);
    expect(list.find((m) => m.channel === 'page')?.reply.mentions).toBeUndefined();
    // The thread line was corrected in place
    const line = fake.threadReplies().find((r) => r.reply.title.startsWith('paged'));
    expect(line?.reply.title).toBe('paged @carol (DM refused), step 1 of 2');
    expect(fake.threadReplies().filter((r) => r.reply.title.startsWith('paged'))).toHaveLength(1);
    // The group message's escalation block and the record
    const group = fake.topLevel().find((m) => m.channel === 'page' && m.reply.title.includes('ApiDown'));
    expect(JSON.stringify(group?.reply.blocks)).toContain('@carol (DM refused, mentioned in the channel)');
    expect((await e.get(id))?.pages.map((p) => [p.who, p.refused?.reason])).toEqual([['carol', REASON]]);
    expect(audited.map((a) => a.action)).toEqual(['escalation.dm_refused']);
    expect(audited[0]?.detail).toMatchObject({ alert: id, person: 'carol', identity: 'slack:U0CAROL', step: 1, pass: 1, channels: ['fake:page', 'slack:C0PAGE'] });
    // When 30 minutes pass, then bob is paged as the policy says
    clock.advance(30 * MIN);
    await run(e);
    expect(slack.calls.filter((c) => c.op === 'dm').map((c) => c.channel)).toEqual(['@slack:U0BOB']);
    expect((await e.get(id))?.machine.fired).toEqual(['0.0', '0.1']);
    expect(slack.refusals).toBe(1);
  });

  it('given two engines hearing the same dead page at once, then the fallback is posted and audited once', async () => {
    await setUp();
    const coordination = new MemoryCoordination();
    const a = engine({ coordination });
    const b = engine({ coordination, hears: false });
    await a.start();
    const id = await fireAlert(a);
    const page = (await a.get(id))?.pages[0];
    const refusal = new DirectMessageRefused('refused', 'messages_tab_disabled', REASON);
    await Promise.all([a.onMessageDead({ _id: page?.key as string, channel: page?.channel as string }, refusal), b.onMessageDead({ _id: page?.key as string, channel: page?.channel as string }, refusal)]);
    await run(a, b);
    expect(fallbacks()).toHaveLength(2);
    expect(audited).toHaveLength(1);
  });

  it('given the process stopped between the outbox giving up and the fallback, when the engine starts again, then the fallback is posted then, once', async () => {
    await setUp();
    const first = engine({ hears: false });
    await first.start();
    const id = await fireAlert(first);
    expect(fallbacks()).toHaveLength(0);
    expect(await (h as AlertHarness).outbox.deadCount()).toBe(1);
    await first.stop();
    const second = engine({ hears: false });
    await second.start();
    await run(second);
    const list = fallbacks();
    expect(list).toHaveLength(2);
    // The refusal's reason was kept in the outbox item's last error
    expect((await (h as AlertHarness).outbox.get((await second.get(id))?.pages[0]?.key as string))?.lastError).toBe(`direct message refused: ${REASON} [conversations.open: messages_tab_disabled]`);
    expect(list[0]?.reply.title).toBe(`Could not DM @carol (${REASON}) — @carol, you are paged for ApiDown (${id})`);
    const third = engine({ hears: false });
    await third.start();
    await run(third);
    expect(fallbacks()).toHaveLength(2);
    expect(audited.filter((a) => a.detail?.alert === id)).toHaveLength(1);
  });

  it('given dora refuses DMs on both her surfaces, then each channel gets one message for her, giving both reasons, and each refusal is audited', async () => {
    await setUp('dora');
    const e = engine();
    await e.start();
    const id = await fireAlert(e);
    const forDora = [...fake.topLevel(), ...slack.topLevel()].filter((m) => m.reply.title.startsWith('Could not DM @dora'));
    expect(forDora.map((m) => m.channel).sort()).toEqual(['C0PAGE', 'page']);
    for (const m of forDora) expect([`Could not DM @dora (${REASON}; ${DISCORD_REASON}) — @dora, you are paged for ApiDown (${id})`, `Could not DM @dora (${DISCORD_REASON}; ${REASON}) — @dora, you are paged for ApiDown (${id})`]).toContain(m.reply.title);
    // On the Slack channel she is pinged by her Slack identity
    expect(forDora.find((m) => m.channel === 'C0PAGE')?.reply.mentions).toEqual([{ kind: 'user', surface: 'slack', id: 'U0DORA' }]);
    expect(audited.map((a) => a.detail?.identity).sort()).toEqual(['discord:user:4200000000000042', 'slack:U0DORA']);
    expect((await e.get(id))?.pages.map((p) => Boolean(p.refused))).toEqual([true, true]);
  });

  it('given the group acknowledged before the DM failed, then nobody is mentioned', async () => {
    await setUp();
    const e = engine({ hears: false });
    await e.start();
    const id = await fireAlert(e);
    await (h as AlertHarness).alerts.acknowledge(id, '@bob');
    await run(e);
    expect((await e.get(id))?.phase).toBe('stopped');
    const page = (await e.get(id))?.pages[0];
    await e.onMessageDead({ _id: page?.key as string, channel: page?.channel as string }, new DirectMessageRefused('refused', 403, REASON));
    await run(e);
    expect(fallbacks()).toHaveLength(0);
    expect(audited).toHaveLength(0);
    // Her refused DM was not retried to say it was acknowledged
    expect(slack.refusals).toBe(1);
  });

  it('given a dead message that is not a page (a handoff DM, a channel post), then it is left alone', async () => {
    await setUp();
    const e = engine();
    await e.start();
    await e.onMessageDead({ _id: 'handoff:primary:2026-01-05:dm:slack:U0CAROL', channel: 'dm:slack:U0CAROL' }, new DirectMessageRefused('refused', 403, REASON));
    await e.onMessageDead({ _id: 'esc:abc:0.0:line:fake:page', channel: 'fake:page' }, new Error('x'));
    expect(audited).toHaveLength(0);
  });
});

describe('refusedLine', () => {
  const line: Reply = { title: 'paged @al, @alice, step 1 of 2 (escalated by al)', status: 'info', blocks: [{ type: 'text', text: 'Next step at 2026-01-07T10:30:00Z unless someone acknowledges.' }], visibility: 'channel' };

  it('marks only that person, before the step, and says why; applying it twice changes nothing', () => {
    const once = refusedLine(line, 'al', 'Slack: no such user');
    expect(once.title).toBe('paged @al (DM refused), @alice, step 1 of 2 (escalated by al)');
    expect(once.blocks[0]).toEqual({ type: 'text', text: 'Could not DM @al (Slack: no such user); mentioned in the channel instead.' });
    expect(refusedLine(once, 'al', 'Slack: no such user')).toEqual(once);
    const both = refusedLine(once, 'alice', 'Discord: they do not accept direct messages from server members');
    expect(both.title).toBe('paged @al (DM refused), @alice (DM refused), step 1 of 2 (escalated by al)');
    expect(both.blocks).toHaveLength(3);
  });
});

/** Alert groups: merging notifications, de-duplication, occurrences and ids, ack/resolve/silence, storm digests. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { applyNotification, newGroup, shortIdCandidates } from '../../src/core/alerts/group.js';
import { alertHarness, type AlertHarness } from '../support/alert-harness.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';
import { ManualClock } from '../../src/core/clock.js';

const T = new Date('2026-11-24T09:10:00Z');

describe('applying notifications to a group (pure)', () => {
  const g0 = newGroup('a1b2', 1, payload({ alerts: hosts(3) }), [], 'h0', T);

  it('given a complete notification without an alert, then that alert is resolved', () => {
    const g = applyNotification(g0, payload({ alerts: hosts(2) }), 'h1', T);
    expect(g.alerts.map((a) => a.status)).toEqual(['firing', 'firing', 'resolved']);
    expect(g.open).toBe(true);
  });

  it('given a truncated notification without an alert, then that alert keeps its state', () => {
    const g = applyNotification(g0, payload({ alerts: hosts(2), truncatedAlerts: 1 }), 'h1', T);
    expect(g.alerts.filter((a) => a.status === 'firing')).toHaveLength(3);
  });

  it('given a resolved notification, then every alert is resolved and the group closes with a time', () => {
    const g = applyNotification(g0, payload({ alerts: hosts(3, { status: 'resolved' }) }), 'h1', T);
    expect(g).toMatchObject({ open: false, status: 'resolved', resolvedAt: T });
    expect(g.alerts.every((a) => a.status === 'resolved')).toBe(true);
  });

  it('remembers the notifications it applied, at most 20', () => {
    let g = g0;
    for (let i = 0; i < 30; i++) g = applyNotification(g, payload({ alerts: hosts(3) }), `h${i}`, T);
    expect(g.seen).toHaveLength(20);
    expect(g.seen.at(-1)).toBe('h29');
  });

  it('ids are short, hex and stable per group occurrence', () => {
    const a = shortIdCandidates('{}:{alertname="X"}', 1);
    expect(a[0]).toMatch(/^[0-9a-f]{4}$/);
    expect(shortIdCandidates('{}:{alertname="X"}', 1)).toEqual(a);
    expect(shortIdCandidates('{}:{alertname="X"}', 2)[0]).not.toBe(a[0]);
  });
});

describe('the alert service', () => {
  let h: AlertHarness;
  afterEach(async () => {
    await h?.stop();
  });

  it('given the same notification twice (an HA peer), then the second is a duplicate and posts nothing', async () => {
    h = await alertHarness();
    expect(await h.alerts.receive(payload({ alerts: hosts(2) }))).toBe('accepted');
    expect(await h.alerts.receive(payload({ alerts: hosts(2) }))).toBe('duplicate');
    await h.settle();
    expect(await h.alerts.receive(payload({ alerts: hosts(2).reverse() }))).toBe('duplicate');
    await h.settle();
    expect(h.chat.calls).toHaveLength(1);
    const groups = await h.store.collection('alert_groups').find({});
    expect(groups).toHaveLength(1);
  });

  it('given a resolved group fires again, then it reopens as a new occurrence with a new id and message', async () => {
    h = await alertHarness();
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await h.settle();
    await h.alerts.receive(payload({ alerts: hosts(1, { status: 'resolved' }) }));
    await h.settle();
    await h.alerts.receive(payload({ alerts: hosts(1, { startsAt: '2026-11-24T12:00:00Z' }) }));
    await h.settle();
    const groups = await h.alerts.listOpen();
    expect(groups).toHaveLength(1);
    expect(groups[0]?.occurrence).toBe(2);
    const all = await h.store.collection<{ _id: string; occurrence: number; open: boolean }>('alert_groups').find({}, { sort: { occurrence: 1 } });
    expect(all.map((g) => [g.occurrence, g.open])).toEqual([[1, false], [2, true]]);
    expect(all[0]?._id).not.toBe(all[1]?._id);
    const top = h.chat.topLevel();
    expect(top.map((m) => m.reply.title)).toEqual(['[RESOLVED] HighCPU', '[FIRING:1] HighCPU']);
  });

  it('given a resolved group removed by retention while its chat messages are still kept, when it fires again, then it gets an id of its own and a message of its own', async () => {
    h = await alertHarness();
    // Given a group that fired, resolved (its message updated, a note in the thread) and was then removed by retention
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await h.settle();
    await h.alerts.receive(payload({ alerts: hosts(1, { status: 'resolved' }) }));
    await h.settle();
    const [old] = await h.store.collection<{ _id: string }>('alert_groups').find({});
    await h.store.collection('alert_groups').deleteMany({});
    const before = h.chat.topLevel().length;
    // When the same alert fires again (occurrence 1 again: no earlier one is left)
    await h.alerts.receive(payload({ alerts: hosts(1, { startsAt: '2026-11-24T12:00:00Z' }) }));
    await h.settle();
    // Then it is a group with another id, posted as a new message; the old message is left as it was
    const [again] = await h.alerts.listOpen();
    expect(again?._id).toBeDefined();
    expect(again?._id).not.toBe(old?._id);
    const top = h.chat.topLevel();
    expect(top).toHaveLength(before + 1);
    expect(top.map((m) => m.reply.title)).toEqual(['[RESOLVED] HighCPU', '[FIRING:1] HighCPU']);
  });

  it('given a group resolved by hand, then the message says who, a note goes in the thread, and Alertmanager firing again opens a new occurrence', async () => {
    h = await alertHarness();
    await h.alerts.receive(payload({ alerts: hosts(2) }));
    await h.settle();
    const [g] = await h.alerts.listOpen();
    await h.alerts.resolve(g?._id as string, '@dave');
    await h.settle();
    expect(h.chat.topLevel()[0]?.reply.title).toBe('[RESOLVED] HighCPU');
    expect(h.chat.threadReplies()[0]?.reply.blocks[0]).toMatchObject({ text: expect.stringContaining('Resolved by @dave') });
    await expect(h.alerts.resolve(g?._id as string, '@dave')).rejects.toThrow(/already resolved/);
    await h.alerts.receive(payload({ alerts: hosts(3) }));
    await h.settle();
    expect((await h.alerts.listOpen())[0]?.occurrence).toBe(2);
  });

  it('given a group routed to two channels, when acknowledged, then both messages are updated', async () => {
    h = await alertHarness({ routes: [{ matchers: ['team="db"'], channels: ['fake:db', 'fake:oncall'] }] });
    await h.alerts.receive(payload({ alerts: hosts(1), commonLabels: { team: 'db' } }));
    await h.settle();
    const [g] = await h.alerts.listOpen();
    await h.alerts.acknowledge(g?._id as string, '@erin');
    await h.settle();
    const top = h.chat.topLevel();
    expect(top.map((m) => [m.channel, m.reply.title, m.updates])).toEqual([['db', '[ACKNOWLEDGED:1] HighCPU', 1], ['oncall', '[ACKNOWLEDGED:1] HighCPU', 1]]);
  });

  it('given a silence runs out, then the message shows the group firing again with its Silence button', async () => {
    const clock = new ManualClock();
    h = await alertHarness({ storm: { window: '800ms' } }, { clock });
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await h.settle();
    const [g] = await h.alerts.listOpen();
    await h.alerts.recordSilence(g?._id as string, 'bob', 'sil-1', new Date(clock.now() + 300));
    await h.settle();
    expect(h.chat.topLevel()[0]?.reply.title).toBe('[SILENCED:1] HighCPU');
    clock.advance(301);
    await h.alerts.sweepStorms();
    await h.settle();
    expect(h.chat.topLevel()[0]?.reply.title).toBe('[FIRING:1] HighCPU');
    expect(h.chat.topLevel()[0]?.reply.buttons?.map((b) => b.label)).toContain('Silence 1h');
    expect((await h.alerts.find(g?._id as string)).silenceId).toBeUndefined();
  });

  it('given a notification that keeps failing to apply, then it is retried, then set aside, and alerting goes on', async () => {
    h = await alertHarness();
    const svc = (h.alerts as unknown as { processor: { apply(e: { payload: { groupKey: string } }): Promise<void> } }).processor;
    const real = svc.apply.bind(svc);
    let tries = 0;
    svc.apply = async (e) => {
      if (e.payload.groupKey.includes('Poison')) {
        tries++;
        throw new Error('boom');
      }
      return real(e);
    };
    await h.alerts.receive(payload({ alertname: 'Poison', alerts: hosts(1) }));
    await waitFor(async () => (await h.store.collection('alert_inbox_failed').countDocuments()) === 1, { timeoutMs: 5000, what: 'the entry set aside' });
    expect(tries).toBe(4);
    await h.alerts.receive(payload({ alertname: 'Healthy', alerts: hosts(1) }));
    await h.settle();
    expect(h.chat.topLevel().map((m) => m.reply.title)).toEqual(['[FIRING:1] Healthy']);
    expect(await h.store.collection('alert_inbox').countDocuments()).toBe(0);
  });

  it('counts open groups per state in the store: firing, acknowledged, silenced (a silence that ran out no longer counts)', async () => {
    const clock = new ManualClock();
    h = await alertHarness({ storm: { threshold: 100 } }, { clock });
    for (const name of ['F1', 'F2', 'A1', 'S1', 'S2', 'R1']) await h.alerts.receive(payload({ alertname: name, alerts: hosts(1) }));
    await h.settle();
    const byName = new Map((await h.alerts.listOpen()).map((g) => [g.commonLabels.alertname, g._id]));
    const id = (n: string) => byName.get(n) as string;
    await h.alerts.acknowledge(id('A1'), '@a');
    await h.alerts.recordSilence(id('S1'), '@s', 'sil-1', new Date(clock.now() + 3_600_000));
    await h.alerts.acknowledge(id('S2'), '@a');
    await h.alerts.recordSilence(id('S2'), '@s', 'sil-2', new Date(clock.now() + 1_000));
    await h.alerts.resolve(id('R1'), '@r');
    expect(await h.alerts.countByState()).toEqual(new Map([['firing', 2], ['acknowledged', 1], ['silenced', 2]]));
    clock.advance(1_001); // S2's silence ran out (not swept yet): it counts as acknowledged again
    expect(await h.alerts.countByState()).toEqual(new Map([['firing', 2], ['acknowledged', 2], ['silenced', 1]]));
  });

  it('given an unknown or malformed id, then a clear error', async () => {
    h = await alertHarness();
    await expect(h.alerts.find('ffff')).rejects.toThrow('No alert group ffff');
    await expect(h.alerts.find('../x')).rejects.toThrow('is not an alert id');
  });
});

describe('storm digests', () => {
  let h: AlertHarness;
  afterEach(async () => {
    await h?.stop();
  });
  const send = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) await h.alerts.receive(payload({ alertname: `G${i}`, alerts: hosts(2) }));
    await h.settle();
  };

  it('given up to the threshold of new groups, then each gets its own message and no digest', async () => {
    h = await alertHarness({ storm: { threshold: 5, window: '10s' } });
    await send(5);
    expect(h.chat.topLevel().map((m) => m.reply.title)).toEqual(['G0', 'G1', 'G2', 'G3', 'G4'].map((n) => `[FIRING:2] ${n}`));
  });

  it('given more new groups than the threshold, then the rest are named in digests of at most digestMaxGroups', async () => {
    h = await alertHarness({ storm: { threshold: 5, window: '10s', digestMaxGroups: 6 } });
    await send(18);
    const top = h.chat.topLevel();
    const own = top.filter((m) => m.reply.title.startsWith('[FIRING'));
    const digests = top.filter((m) => m.reply.title.startsWith('Alert storm digest'));
    expect(own).toHaveLength(5);
    expect(digests.map((d) => d.reply.title)).toEqual(['Alert storm digest: 6 group(s), 6 open', 'Alert storm digest: 6 group(s), 6 open', 'Alert storm digest: 1 group(s), 1 open']);
    const named = digests.flatMap((d) => d.reply.blocks.flatMap((b) => (b.type === 'table' ? b.rows.map((r) => r[1]) : [])));
    expect(named.sort()).toEqual(Array.from({ length: 13 }, (_, i) => `G${i + 5}`).sort());
  });

  it('given a held group changes, then its digest is updated in place rather than a message posted', async () => {
    h = await alertHarness({ storm: { threshold: 1, window: '10s' } });
    await send(2);
    const before = h.chat.calls.length;
    await h.alerts.receive(payload({ alertname: 'G1', alerts: hosts(2, { status: 'resolved' }) }));
    await h.settle();
    const newCalls = h.chat.calls.slice(before);
    expect(newCalls.map((c) => c.op)).toEqual(['update']);
    expect(newCalls[0]?.reply.title).toBe('Alert storm digest: 1 group(s), 0 open');
  });

  it('given the storm is over, then open held groups get their own message and resolved ones stay in the digest', async () => {
    const clock = new ManualClock();
    h = await alertHarness({ storm: { threshold: 1, window: '300ms' } }, { clock });
    await send(3);
    await h.alerts.receive(payload({ alertname: 'G2', alerts: hosts(2, { status: 'resolved' }) }));
    await h.settle();
    clock.advance(301);
    await h.alerts.sweepStorms();
    await h.settle();
    const titles = h.chat.topLevel().map((m) => m.reply.title);
    expect(titles.filter((t) => t.startsWith('[FIRING'))).toEqual(['[FIRING:2] G0', '[FIRING:2] G1']);
    expect(titles).not.toContain('[RESOLVED] G2');
    // And after release, the group's changes update its own message.
    await h.alerts.receive(payload({ alertname: 'G1', alerts: hosts(3) }));
    await h.settle();
    expect(h.chat.topLevel().map((m) => m.reply.title)).toContain('[FIRING:3] G1');
  });
});

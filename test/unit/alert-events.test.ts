/** System events for the audit trail: reported after the change is saved; a failing sink never stops alerting. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import type { AlertEvent } from '../../src/core/alerts/events.js';
import { alertHarness, type AlertHarness } from '../support/alert-harness.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';

describe('alerting events', () => {
  let h: AlertHarness;
  afterEach(async () => {
    await h?.stop();
  });

  it('given a group opens and Alertmanager resolves it, then both are reported with the group, its channels and a detail line, after they are saved', async () => {
    const events: AlertEvent[] = [];
    h = await alertHarness({}, {
      onEvent: async (e) => {
        // Reported after the change is saved: the group is already in the store in that state.
        const g = await h.alerts.find(e.alertId as string);
        events.push({ ...e, detail: `${e.detail} [open=${g.open}]` });
      },
    });
    await h.alerts.receive(payload({ alerts: hosts(2) }));
    await h.settle();
    await h.alerts.receive(payload({ alerts: hosts(2, { status: 'resolved' }) }));
    await h.settle();
    const [g] = await h.store.collection<{ _id: string; groupKey: string }>('alert_groups').find({});
    expect(events).toEqual([
      expect.objectContaining({ action: 'alert.opened', alertId: g?._id, groupKey: g?.groupKey, channels: ['fake:alerts'], detail: expect.stringMatching(/opened .*2 alert.*\[open=true\]$/) }),
      expect.objectContaining({ action: 'alert.resolved', alertId: g?._id, channels: ['fake:alerts'], detail: expect.stringMatching(/Alertmanager resolved .*\[open=false\]$/) }),
    ]);
  });

  it('given a silence runs out on the clock, then "silence expired" is reported with who silenced it', async () => {
    const clock = new ManualClock();
    const events: AlertEvent[] = [];
    h = await alertHarness({ storm: { window: '1s' } }, { clock, onEvent: (e) => { events.push(e); } });
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await h.settle();
    const [g] = await h.alerts.listOpen();
    await h.alerts.recordSilence(g?._id as string, '@bob', 'sil-9', new Date(clock.now() + 60_000));
    clock.advance(61_000);
    await h.alerts.sweepStorms();
    await waitFor(() => events.some((e) => e.action === 'alert.silence_expired'), { what: 'the expiry event' });
    expect(events.find((e) => e.action === 'alert.silence_expired')).toMatchObject({ alertId: g?._id, detail: expect.stringContaining('silence sil-9 of alert group') });
    expect(events.find((e) => e.action === 'alert.silence_expired')?.detail).toContain('by @bob ran out');
  });

  it('given a storm is over, then its release is reported with the groups that got their own message', async () => {
    const clock = new ManualClock();
    const events: AlertEvent[] = [];
    h = await alertHarness({ storm: { threshold: 1, window: '1s' } }, { clock, onEvent: (e) => { events.push(e); } });
    // The storm's rate limit runs on the coordination's clock: both groups arrive within one window.
    await h.alerts.receive(payload({ alertname: 'A', alerts: hosts(1) }));
    await h.alerts.receive(payload({ alertname: 'B', alerts: hosts(1) }));
    await h.settle();
    const held = (await h.alerts.listOpen()).find((g) => g.heldIn.length > 0);
    expect(held).toBeDefined();
    clock.advance(2_000);
    await h.alerts.sweepStorms();
    await waitFor(() => events.some((e) => e.action === 'alert.storm_released'), { what: 'the release event' });
    expect(events.find((e) => e.action === 'alert.storm_released')).toMatchObject({ alertIds: [held?._id], channels: ['fake:alerts'], detail: expect.stringContaining('1 open group(s) got their own message') });
    await h.settle();
    expect(h.chat.topLevel().map((m) => m.reply.title)).toContain('[FIRING:1] B');
  });

  it('given the audit sink fails, then alerting goes on', async () => {
    let calls = 0;
    h = await alertHarness({}, { onEvent: () => { calls++; throw new Error('audit store down'); } });
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await h.settle();
    await h.alerts.receive(payload({ alerts: hosts(1, { status: 'resolved' }) }));
    await h.settle();
    expect(calls).toBe(2);
    expect(h.chat.topLevel().map((m) => m.reply.title)).toEqual(['[RESOLVED] HighCPU']);
    expect(await h.store.collection('alert_inbox').countDocuments()).toBe(0);
  });
});

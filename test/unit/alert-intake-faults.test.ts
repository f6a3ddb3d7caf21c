/**
 * Fault injection on the intake path (AlertService.receive: start-up indexes, the inbox's group
 * commit write): whichever store call throws at once or rejects, the notification after it is
 * accepted and applied; intake never stays marked "write in flight".
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { Outbox } from '../../src/core/outbox/index.js';
import { AlertService } from '../../src/core/alerts/service.js';
import { alertingSchema } from '../../src/config/alerting.js';
import { ManualClock } from '../../src/core/clock.js';
import type { WebhookPayload } from '../../src/core/alerts/payload.js';
import { FaultyStore, type FaultMode } from '../support/faulty-store.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { hosts, payload } from '../support/alert-payloads.js';

const within = <T>(p: Promise<T>, ms = 3000): Promise<T> => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms}ms: intake is wedged`)), ms))]);

async function service(clock = new ManualClock(Date.now())) {
  const store = new FaultyStore(await EmbeddedStore.open(null));
  const coordination = new MemoryCoordination();
  const config = alertingSchema.parse({ defaultChannel: 'fake:alerts', rate: { messages: 1000, per: 1000 } });
  const log = pino({ level: 'silent' });
  const outbox = new Outbox({ store, coordination, gateways: new Map([['fake', new RecordingGateway('fake')]]), rate: config.rate, log });
  const alerts = new AlertService({ store, coordination, outbox, config, log, clock, applyRetryMs: 10 });
  return { store, alerts, clock, stop: async () => { await alerts.stop(); await store.close(); } };
}

/** The store calls `receive` makes for a first and for a later notification, found by running it once. */
async function intakeCalls(): Promise<{ first: string[]; later: string[] }> {
  const s = await service();
  s.store.arm();
  await s.alerts.receive(payload({ alertname: 'Probe1', alerts: hosts(1) }));
  const first = s.store.calls.filter((c) => !c.startsWith('alert_groups.find') && !c.startsWith('alert_inbox.find'));
  await s.alerts.settled();
  s.store.arm();
  await s.alerts.receive(payload({ alertname: 'Probe2', alerts: hosts(1) }));
  const later = [...s.store.calls];
  await s.stop();
  return { first, later };
}

describe('alert intake under injected faults', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  const firstCalls = ['alert_groups.createIndex', 'alert_inbox.createIndex', 'alert_digests.createIndex', 'alert_inbox.insertOne'];
  it('given the intake path, then it awaits the indexes on the first notification and one inbox write on each', async () => {
    const { first, later } = await intakeCalls();
    expect(first).toEqual(expect.arrayContaining(['alert_groups.createIndex', 'alert_inbox.createIndex', 'alert_inbox.insertOne']));
    expect(later[0]).toBe('alert_inbox.insertOne');
    expect([...new Set(first)].sort()).toEqual([...firstCalls].sort());
  });

  const modes: FaultMode[] = ['throw', 'reject'];
  it.each(firstCalls.flatMap((call) => modes.map((mode) => [call, mode] as const)))(
    'given %s fails (%s) during a notification, when the next one arrives, then it is accepted and applied',
    async (call, mode) => {
      const s = await service();
      stop = s.stop;
      const { first } = await intakeCalls();
      const index = first.indexOf(call);
      expect(index).toBeGreaterThanOrEqual(0);
      s.store.arm({ call: index, mode });
      await expect(within(s.alerts.receive(payload({ alertname: 'Faulted', alerts: hosts(1) })))).rejects.toThrow(/injected/);
      s.store.arm();
      await expect(within(s.alerts.receive(payload({ alertname: 'After', alerts: hosts(1) })))).resolves.toBe('accepted');
      await within(s.alerts.settled());
      // The faulted one was not remembered as seen: Alertmanager's retry is accepted.
      await expect(within(s.alerts.receive(payload({ alertname: 'Faulted', alerts: hosts(1) })))).resolves.toBe('accepted');
      await within(s.alerts.settled());
      expect(await s.store.collection('alert_groups').countDocuments()).toBe(2);
    },
  );

  it('given a notification that cannot be serialised (nested past the stack), when received, then only it fails and the others in the same round are accepted', async () => {
    const s = await service();
    stop = s.stop;
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const evil = { ...payload({ alertname: 'Evil', alerts: hosts(1) }), extra: deep } as WebhookPayload;
    const results = await within(Promise.allSettled([
      s.alerts.receive(payload({ alertname: 'A', alerts: hosts(1) })),
      s.alerts.receive(evil),
      s.alerts.receive(payload({ alertname: 'B', alerts: hosts(1) })),
    ]));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expect(within(s.alerts.receive(payload({ alertname: 'C', alerts: hosts(1) })))).resolves.toBe('accepted');
  });

  it('given an inbox write that never settles, when two minutes pass, then intake reports it is stalled', async () => {
    const s = await service();
    stop = async () => { await s.store.close(); };
    await s.alerts.receive(payload({ alertname: 'Warm', alerts: hosts(1) }));
    await s.alerts.settled();
    s.store.arm({ call: 0, mode: 'hang' });
    void s.alerts.receive(payload({ alertname: 'Stuck', alerts: hosts(1) }));
    await new Promise((r) => setTimeout(r, 20));
    expect(await s.alerts.intakeStalledReason()).toBeUndefined();
    s.clock.advance(121_000);
    expect(await s.alerts.intakeStalledReason()).toMatch(/inbox write has been in flight for 121s/);
  });
});

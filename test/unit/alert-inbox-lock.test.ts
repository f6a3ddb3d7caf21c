/**
 * The inbox processing lock across processes: renewed while a batch runs (no other process can
 * take it however long the batch takes), and a lost lock stops the batch before its inbox entries
 * are deleted: the next holder applies them again, which changes nothing twice.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import { alertHarness, type AlertHarness } from '../support/alert-harness.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';

const INBOX_LOCK = 'alerts:inbox';
const flush = async (n = 20) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

describe('the alert inbox lock', () => {
  let h: AlertHarness;
  afterEach(async () => {
    await h?.stop();
  });

  /** Holds every outbox enqueue until `open()`: the batch that queues messages stays running. */
  function gateOutbox(): { entered: () => boolean; open: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let entered = false;
    const real = h.outbox.enqueue.bind(h.outbox);
    h.outbox.enqueue = async (...args: Parameters<typeof real>) => {
      entered = true;
      await gate;
      return real(...args);
    };
    return { entered: () => entered, open: release };
  }

  it('given a batch runs longer than the lock time, then the lock is renewed and no other process can take it until the batch is done', async () => {
    const clock = new ManualClock();
    h = await alertHarness({}, { clock });
    const gate = gateOutbox();
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await waitFor(() => gate.entered(), { what: 'the batch to be running' });
    for (let s = 0; s < 15; s++) {
      clock.advance(10_000);
      await flush();
      expect(await h.coordination.tryLock(INBOX_LOCK, 1_000)).toBeNull();
    }
    gate.open();
    await h.settle();
    expect(await h.store.collection('alert_inbox').countDocuments()).toBe(0);
    expect(await h.coordination.tryLock(INBOX_LOCK, 1_000)).not.toBeNull();
  });

  it('given the lock is lost while a batch runs, then its entries are not deleted, and the next holder applies them once', async () => {
    const clock = new ManualClock();
    h = await alertHarness({}, { clock });
    const gate = gateOutbox();
    await h.alerts.receive(payload({ alerts: hosts(1) }));
    await waitFor(() => gate.entered(), { what: 'the batch to be running' });
    // The process stalls past the lock's time; another process takes the lock.
    clock.advance(200_000);
    const other = await h.coordination.tryLock(INBOX_LOCK, 10_000);
    expect(other).not.toBeNull();
    gate.open();
    await h.alerts.settled();
    await flush();
    expect(await h.store.collection('alert_inbox').countDocuments()).toBe(1);
    // The other process goes away; this one looks again and takes over.
    await other?.release();
    clock.advance(1_000);
    await waitFor(async () => (await h.store.collection('alert_inbox').countDocuments()) === 0, { what: 'the inbox to be applied' });
    await h.settle();
    const groups = await h.store.collection<{ _id: string; seen: string[] }>('alert_groups').find({});
    expect(groups).toHaveLength(1);
    expect(groups[0]?.seen).toHaveLength(1);
    expect(h.chat.calls.map((c) => c.op)).toEqual(['post']);
  });

  it('given another process holds the lock, when webhooks pour in, then this one tries the lock once per look-again interval, not once per webhook, and applies them all when the lock is free', async () => {
    const clock = new ManualClock();
    h = await alertHarness({}, { clock });
    const other = await h.coordination.tryLock(INBOX_LOCK, 600_000);
    expect(other).not.toBeNull();
    let tries = 0;
    const real = h.coordination.tryLock.bind(h.coordination);
    h.coordination.tryLock = (key: string, ttlMs: number) => {
      if (key === INBOX_LOCK) tries++;
      return real(key, ttlMs);
    };
    for (let i = 0; i < 30; i++) {
      await h.alerts.receive(payload({ alertname: `Busy${i}`, alerts: hosts(1) }));
      await flush(3);
    }
    expect(tries).toBe(1);
    clock.advance(1_000); // the look-again timer: the lock is still taken
    await waitFor(() => tries === 2, { what: 'the second try of the lock' });
    await h.alerts.receive(payload({ alertname: 'BusyLate', alerts: hosts(1) }));
    await flush();
    expect(tries).toBe(2);
    await other?.release();
    clock.advance(1_000);
    await waitFor(async () => (await h.store.collection('alert_inbox').countDocuments()) === 0, { what: 'the inbox to be applied' });
    await h.settle();
    expect(await h.store.collection('alert_groups').countDocuments()).toBe(31);
  });
});

/**
 * The outbox over one store shared by two replicas: every message is sent once per content
 * version and ends in its latest content; content from an older source version never replaces a
 * newer one; a lane holds its channel's lock while it runs (extended, never released and re-taken)
 * and stops when the lock is lost.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { ManualClock } from '../../src/core/clock.js';
import { Outbox, type OutboxGateway } from '../../src/core/outbox/index.js';
import { textReply } from '../../src/core/reply.js';
import type { Store } from '../../src/core/store/types.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { waitFor } from '../support/servers.js';

const log = pino({ level: 'silent' });
const msg = (key: string, n: number) => textReply(`${key} v${n}`, 'info', '');
const LANE = 'outbox:lane:fake:c';

/** Lets pending promise callbacks and I/O run. */
const flush = async (n = 20) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

describe('outbox replicas over one store', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function replicas(opts: { clock?: ManualClock; gateway?: RecordingGateway } = {}) {
    const store: Store = await EmbeddedStore.open(null);
    const clock = opts.clock;
    const coordination = clock ? new MemoryCoordination(() => clock.now()) : new MemoryCoordination();
    const chat = opts.gateway ?? new RecordingGateway('fake');
    const make = () => new Outbox({ store, coordination, gateways: new Map<string, OutboxGateway>([['fake', chat]]), rate: { messages: 1000, per: 1000 }, log, ...(clock ? { clock } : {}) });
    const pair = [make(), make()] as const;
    for (const o of pair) await o.start();
    cleanup.push(async () => {
      for (const o of pair) await o.stop();
      await store.close();
    });
    return { store, coordination, chat, pair };
  }

  it('given both replicas update the same messages while they are being sent, then each content version is sent at most once and every message ends in its latest content', async () => {
    const { chat, pair, store } = await replicas();
    const keys = ['g:a:fake:c', 'g:b:fake:c', 'g:c:fake:d'];
    const channelOf = (k: string) => `fake:${k.split(':')[3]}`;
    for (let n = 1; n <= 30; n++) {
      await Promise.all(keys.map((k, i) => (pair[(n + i) % 2] as Outbox).enqueue(k, channelOf(k), msg(k, n), { sourceVersion: n })));
      if (n % 3 === 0) await flush(2);
    }
    await waitFor(async () => (await store.collection('outbox').countDocuments({ state: 'pending' })) === 0, { what: 'all sent' });
    const byMessage = new Map<string, string[]>();
    for (const c of chat.calls) byMessage.set(c.id, [...(byMessage.get(c.id) ?? []), c.reply.title]);
    // One chat message per key, its content versions strictly increasing (none sent twice), the last one the latest.
    expect(byMessage.size).toBe(keys.length);
    for (const titles of byMessage.values()) {
      const versions = titles.map((t) => Number(/v(\d+)$/.exec(t)?.[1]));
      expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
      expect(versions.at(-1)).toBe(30);
    }
  });

  it('given content rendered from an older source version arrives after a newer one, then it is dropped', async () => {
    const { chat, pair } = await replicas();
    chat.notReady = 'connecting';
    await pair[1].enqueue('g:x:fake:c', 'fake:c', msg('x', 5), { sourceVersion: 5 });
    await pair[0].enqueue('g:x:fake:c', 'fake:c', msg('x', 4), { sourceVersion: 4 });
    chat.notReady = undefined;
    await waitFor(() => chat.calls.length === 1, { what: 'the post' });
    await pair[0].idle();
    expect(chat.calls.map((c) => c.reply.title)).toEqual(['x v5']);
    expect((await pair[0].get('g:x:fake:c'))?.sourceVersion).toBe(5);
  });

  it('given a lane runs for minutes, then it keeps its channel lock the whole time (extended, no window for another replica)', async () => {
    const clock = new ManualClock();
    const gateway = new RecordingGateway('fake');
    gateway.notReady = 'connecting';
    const { coordination, chat, pair } = await replicas({ clock, gateway });
    await pair[0].enqueue('k', 'fake:c', msg('k', 1));
    await flush();
    for (let s = 0; s < 24; s++) {
      clock.advance(5_000);
      await flush();
      expect(await coordination.tryLock(LANE, 1_000)).toBeNull();
    }
    chat.notReady = undefined;
    clock.advance(1_000);
    await waitFor(() => chat.calls.length === 1, { what: 'the post once connected' });
  });

  it('given the lane lock is lost (expired and taken by another replica), then the lane stops sending until it holds the lock again', async () => {
    const clock = new ManualClock();
    const gateway = new RecordingGateway('fake');
    gateway.notReady = 'connecting';
    const { coordination, chat, pair } = await replicas({ clock, gateway });
    await pair[0].enqueue('k', 'fake:c', msg('k', 1));
    await flush();
    // The process stalls past the lock's time; another replica takes the lock before the lane looks again.
    clock.advance(40_000);
    const other = await coordination.tryLock(LANE, 120_000);
    expect(other).not.toBeNull();
    chat.notReady = undefined;
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      await flush();
    }
    expect(chat.calls).toHaveLength(0);
    await other?.release();
    clock.advance(31_000);
    await waitFor(() => chat.calls.length === 1, { what: 'the post once the lane holds the lock again' });
    expect(chat.calls.map((c) => c.reply.title)).toEqual(['k v1']);
  });
});

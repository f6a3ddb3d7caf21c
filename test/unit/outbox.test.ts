/** The durable outbox: coalescing, per-channel rate, Retry-After, back-off, final 4xx, waiting surfaces, restart. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { Outbox, type OutboxGateway } from '../../src/core/outbox/index.js';
import { textReply } from '../../src/core/reply.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store/types.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { tmpDir, waitFor } from '../support/servers.js';

const log = pino({ level: 'silent' });
const msg = (n: number | string) => textReply(`version ${n}`, 'info', '');

describe('outbox', () => {
  const open: { outbox: Outbox; store: Store }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.outbox.stop();
      await o.store.close();
    }
  });

  async function make(opts: { gateways?: OutboxGateway[]; rate?: { messages: number; per: number }; dir?: string | null; start?: boolean; clock?: ManualClock } = {}) {
    const store = await EmbeddedStore.open(opts.dir ?? null);
    const chat = new RecordingGateway('fake');
    const gateways = new Map<string, OutboxGateway>((opts.gateways ?? [chat]).map((g) => [g.name, g]));
    const outbox = new Outbox({ store, coordination: new MemoryCoordination(), gateways, rate: opts.rate ?? { messages: 1000, per: 1000 }, log, retry: { attempts: 5, baseDelayMs: 30, maxDelayMs: 200 }, ...(opts.clock ? { clock: opts.clock } : {}) });
    open.push({ outbox, store });
    if (opts.start !== false) await outbox.start();
    return { store, chat, outbox, gateways };
  }

  it('given several updates of one message before it is sent, then it is posted once in its latest state', async () => {
    const { chat, outbox, gateways } = await make();
    const gw = gateways.get('fake') as RecordingGateway;
    gw.notReady = 'connecting';
    for (let i = 1; i <= 5; i++) await outbox.enqueue('g:1:fake:alerts', 'fake:alerts', msg(i));
    gw.notReady = undefined;
    await waitFor(() => chat.calls.length === 1, { what: 'one post' });
    await outbox.idle();
    expect(chat.calls.map((c) => [c.op, c.reply.title])).toEqual([['post', 'version 5']]);
    await outbox.enqueue('g:1:fake:alerts', 'fake:alerts', msg(6));
    await outbox.idle();
    expect(chat.calls.map((c) => [c.op, c.id])).toEqual([['post', 'm1'], ['update', 'm1']]);
  });

  it('given a channel rate of one per 100 ms, then calls on that channel are at least 100 ms apart while other channels are not held up', async () => {
    const { chat, outbox } = await make({ rate: { messages: 1, per: 100 } });
    for (let i = 0; i < 5; i++) await outbox.enqueue(`a${i}`, 'fake:busy', msg(i));
    await outbox.enqueue('b0', 'fake:quiet', msg('q'));
    await outbox.idle();
    const busy = chat.calls.filter((c) => c.channel === 'busy').map((c) => c.at);
    for (let i = 1; i < busy.length; i++) expect((busy[i] as number) - (busy[i - 1] as number)).toBeGreaterThanOrEqual(99);
    const quiet = chat.calls.find((c) => c.channel === 'quiet') as { at: number };
    expect(quiet.at - (busy[0] as number)).toBeLessThan(300);
  });

  it('given slots of the shared rate limit granted late (a slow store write), then the calls themselves still keep to the rate', async () => {
    // Given a coordination whose slot answers arrive after a delay that varies: early slots wait longest
    const store = await EmbeddedStore.open(null);
    const chat = new RecordingGateway('fake');
    const shared = new MemoryCoordination();
    let n = 0;
    const slow = Object.assign(Object.create(shared) as MemoryCoordination, {
      rateLimit: async (key: string, limit: number, windowMs: number) => {
        const d = await shared.rateLimit(key, limit, windowMs);
        if (d.allowed && key.startsWith('outbox:')) await new Promise((r) => setTimeout(r, n++ % 2 ? 0 : 60));
        return d;
      },
    });
    const outbox = new Outbox({ store, coordination: slow, gateways: new Map([['fake', chat]]), rate: { messages: 1, per: 100 }, log });
    open.push({ outbox, store });
    await outbox.start();
    // When six messages go out on one channel
    for (let i = 0; i < 6; i++) await outbox.enqueue(`s${i}`, 'fake:slow', msg(i));
    await outbox.idle();
    // Then no two calls were closer than the rate
    const at = chat.calls.map((c) => c.at);
    expect(at).toHaveLength(6);
    for (let i = 1; i < at.length; i++) expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(99);
  });

  it('given a 429 with Retry-After, then the whole channel waits that long and the message is still sent', async () => {
    const { chat, outbox } = await make();
    chat.failNext({ status: 429, retryAfterMs: 400 });
    await outbox.enqueue('k1', 'fake:c', msg(1));
    await outbox.enqueue('k2', 'fake:c', msg(2));
    await outbox.idle();
    const [limited, ...rest] = chat.attempts;
    expect(limited?.outcome).toBe('429');
    expect(rest.map((a) => a.outcome)).toEqual(['ok', 'ok']);
    expect((rest[0] as { at: number }).at - (limited as { at: number }).at).toBeGreaterThanOrEqual(399);
    expect(chat.calls.map((c) => c.reply.title)).toEqual(['version 1', 'version 2']);
  });

  it('given 500s and a network error, then it backs off and delivers', async () => {
    const { chat, outbox } = await make();
    chat.failNext({ status: 500 }, { status: 500 }, { status: 'network' });
    await outbox.enqueue('k', 'fake:c', msg(1));
    await outbox.idle();
    expect(chat.attempts.map((a) => a.outcome)).toEqual(['500', '500', 'network', 'ok']);
    const gaps = chat.attempts.slice(1).map((a, i) => a.at - (chat.attempts[i] as { at: number }).at);
    expect(gaps.every((g) => g >= 10)).toBe(true);
    expect(chat.calls).toHaveLength(1);
  });

  it('given a final 4xx, then it is not retried, is kept as dead, and the next message still goes out', async () => {
    const { chat, outbox } = await make();
    chat.failNext({ status: 400 });
    await outbox.enqueue('bad', 'fake:c', msg('bad'));
    await outbox.enqueue('good', 'fake:c', msg('good'));
    await outbox.idle();
    expect(chat.attempts.map((a) => a.outcome)).toEqual(['400', 'ok']);
    expect(await outbox.deadCount()).toBe(1);
    expect((await outbox.get('bad'))?.lastError).toContain('invalid_blocks');
  });

  it('given a final 4xx, then the dead listeners hear of it once, with the error; a retried 500 that is then delivered is not reported', async () => {
    const { chat, outbox } = await make();
    const dead: { key: string; state: string; error: unknown }[] = [];
    outbox.onDead((item, error) => { dead.push({ key: item._id, state: item.state, error }); });
    outbox.onDead(() => { throw new Error('a listener that fails'); });
    outbox.onDead((item) => { dead.push({ key: `${item._id} (second listener)`, state: item.state, error: undefined }); });
    chat.failNext({ status: 500 }, { status: 400 });
    await outbox.enqueue('flaky', 'fake:c', msg('flaky'));
    await outbox.enqueue('bad', 'fake:c', msg('bad'));
    await outbox.idle();
    expect(chat.attempts.map((a) => a.outcome)).toEqual(['500', '400', 'ok']);
    expect(dead.map((d) => [d.key, d.state])).toEqual([['bad', 'dead'], ['bad (second listener)', 'dead']]);
    expect((dead[0]?.error as Error).message).toBe('invalid_blocks');
    expect((await outbox.get('flaky'))?.state).toBe('sent');
  });

  it('given a surface that is not connected, then deliveries wait, say why, and go out once it is there', async () => {
    const { chat, outbox, gateways } = await make({ gateways: [] });
    await outbox.enqueue('k', 'fake:c', msg(1));
    await waitFor(() => outbox.waitingReason(), { what: 'a waiting reason' });
    expect(outbox.waitingReason()).toBe('deliveries to fake are waiting: surface fake is not connected');
    expect(await outbox.depthBySurface()).toEqual(new Map([['fake', 1]]));
    gateways.set('fake', chat);
    await waitFor(() => chat.calls.length === 1, { what: 'the post once connected' });
    await waitFor(() => outbox.waitingReason() === undefined, { what: 'the waiting reason to clear' });
  });

  it('given a thread reply queued with its message, then the message is posted first and the reply goes in its thread', async () => {
    const { chat, outbox } = await make();
    await outbox.enqueue('g:x', 'fake:c', msg('root'));
    await outbox.enqueue('r:x', 'fake:c', msg('note'), { kind: 'reply', parent: 'g:x' });
    await outbox.idle();
    expect(chat.calls.map((c) => [c.reply.title, c.thread])).toEqual([['version root', undefined], ['version note', 'm1']]);
  });

  it('given a thread reply already posted, when its content changes, then the reply is updated in place, not posted again', async () => {
    const { chat, outbox } = await make();
    await outbox.enqueue('g:x', 'fake:c', msg('root'));
    await outbox.enqueue('r:x', 'fake:c', msg('note'), { kind: 'reply', parent: 'g:x' });
    await outbox.idle();
    await outbox.enqueue('r:x', 'fake:c', msg('note, corrected'), { kind: 'reply', parent: 'g:x' });
    await outbox.idle();
    expect(chat.calls.map((c) => [c.op, c.id, c.reply.title])).toEqual([['post', 'm1', 'version root'], ['post', 'm2', 'version note'], ['update', 'm2', 'version note, corrected']]);
    expect(chat.threadReplies()).toEqual([{ id: 'm2', thread: 'm1', reply: msg('note, corrected') }]);
  });

  it('given two replicas sharing the store and coordination, then each message is sent once', async () => {
    const store = await EmbeddedStore.open(null);
    const coordination = new MemoryCoordination();
    const chat = new RecordingGateway('fake');
    const replicas = [0, 1].map(() => new Outbox({ store, coordination, gateways: new Map([['fake', chat]]), rate: { messages: 1000, per: 1000 }, log }));
    for (const o of replicas) {
      open.push({ outbox: o, store });
      await o.start();
    }
    open.splice(1); // the store is closed once
    for (let i = 0; i < 10; i++) await (replicas[i % 2] as Outbox).enqueue(`k${i}`, 'fake:shared', msg(i));
    await waitFor(async () => (await (replicas[0] as Outbox).pendingCount()) === 0, { what: 'all sent' });
    await (replicas[1] as Outbox).stop();
    expect(chat.calls.map((c) => c.reply.title).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `version ${i}`).sort());
  });

  it('given pending deliveries when the process stops, then a new outbox on the same data directory sends them', async () => {
    const dir = await tmpDir('opsbot-outbox-');
    try {
      const first = await make({ dir: dir.dir, gateways: [] });
      await first.outbox.enqueue('g:1:fake:c', 'fake:c', msg(1));
      await first.outbox.enqueue('g:2:fake:c', 'fake:c', msg(2));
      await first.outbox.stop();
      await first.store.close();
      open.splice(0);
      const second = await make({ dir: dir.dir });
      await second.outbox.idle();
      expect(second.chat.calls.map((c) => c.reply.title).sort()).toEqual(['version 1', 'version 2']);
      await second.outbox.stop();
      await second.store.close();
      open.splice(0);
    } finally {
      await dir.cleanup();
    }
  });

  it('given a restart 3 s into a 10 s Retry-After, then the new outbox waits out the remaining 7 s before calling the channel again', async () => {
    const dir = await tmpDir('opsbot-outbox-');
    const clock = new ManualClock();
    try {
      // Given the chat API answers the first call with 429 and Retry-After 10 s
      const first = await make({ dir: dir.dir, clock });
      first.chat.failNext({ status: 429, retryAfterMs: 10_000 });
      await first.outbox.enqueue('g:1:fake:c', 'fake:c', msg(1));
      await waitFor(() => first.chat.attempts.length === 1, { what: 'the rate-limited call' });
      await waitFor(async () => (await first.store.collection('outbox_lanes').countDocuments()) === 1, { what: 'the stored wait' });
      // When the process stops 3 s later and a new one starts on the same data
      clock.advance(3_000);
      await first.outbox.stop();
      await first.store.close();
      open.splice(0);
      const second = await make({ dir: dir.dir, clock });
      await new Promise((r) => setTimeout(r, 200));
      // Then nothing is sent before the 10 s are over
      expect(second.chat.attempts).toEqual([]);
      clock.advance(6_900);
      await new Promise((r) => setTimeout(r, 100));
      expect(second.chat.attempts).toEqual([]);
      // And the message is sent once they are
      clock.advance(100);
      await waitFor(() => second.chat.calls.length === 1, { what: 'the post after the wait' });
      expect(second.chat.calls.map((c) => c.reply.title)).toEqual(['version 1']);
      await second.outbox.stop();
      await second.store.close();
      open.splice(0);
    } finally {
      await dir.cleanup();
    }
  });
});

/** The durable alert inbox on the embedded store: group commit of receives, and entries read back as stored. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import { AlertInbox, type InboxDoc } from '../../src/core/alerts/inbox.js';
import { SqliteStore } from '../../src/core/store/sqlite/store.js';
import { webhookPayloadSchema } from '../../src/core/alerts/payload.js';
import { hosts, payload } from '../support/alert-payloads.js';

describe('alert inbox', () => {
  let store: SqliteStore;
  let inbox: AlertInbox;
  beforeEach(async () => {
    store = await SqliteStore.open(null);
    inbox = new AlertInbox(store, new ManualClock(Date.parse('2026-11-24T09:00:00Z')));
    await inbox.init();
  });
  afterEach(async () => {
    await store.close();
  });

  it('given webhooks received in the same turn, then they are written together and read back equal to what was received, in order', async () => {
    const sent = Array.from({ length: 5 }, (_, i) => webhookPayloadSchema.parse(payload({ alertname: `A${i}`, alerts: hosts(2) })));
    expect(await Promise.all(sent.map((p) => inbox.receive(p)))).toEqual(Array(5).fill('accepted'));
    expect(await inbox.receive(sent[0] as (typeof sent)[number])).toBe('duplicate');
    const { docs, entries } = await inbox.batch(10);
    expect(docs.length).toBeLessThan(5);
    expect(entries.map((e) => e.payload)).toEqual(sent);
  });

  it('given a stored entry whose payload cannot be read, then looking at what is pending still works and only reading that payload fails', async () => {
    const good = webhookPayloadSchema.parse(payload({ alerts: hosts(1) }));
    await store.collection<InboxDoc>('alert_inbox').insertOne({ seq: 1, receivedAt: new Date(), entries: [{ hash: 'h1', json: '{"broken' }, { hash: 'h2', json: JSON.stringify(good) }] } as unknown as InboxDoc);
    const { docs, entries } = await inbox.batch(1);
    expect(docs).toHaveLength(1);
    expect(entries.map((e) => e.hash)).toEqual(['h1', 'h2']);
    expect(entries[1]?.payload).toEqual(good);
    expect(() => entries[0]?.payload).toThrow(SyntaxError);
  });
});

/** Retention: finished records past their age go, once per period across replicas, on the injected clock. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store/types.js';
import { RetentionSweeper } from '../../src/core/retention/sweeper.js';
import { retentionSchema } from '../../src/config/retention-schema.js';
import { parseConfigText } from '../../src/config/load.js';

const DAY = 86_400_000;
const log = pino({ level: 'silent' });

describe('retention', () => {
  let store: Store;
  let clock: ManualClock;
  let coordination: MemoryCoordination;
  const ago = (days: number) => new Date(clock.now() - days * DAY);

  beforeEach(async () => {
    store = await EmbeddedStore.open(null);
    clock = new ManualClock(Date.UTC(2026, 5, 1));
    coordination = new MemoryCoordination(() => clock.now());
  });
  afterEach(async () => { await store.close(); });

  type Row = { _id: string } & Record<string, unknown>;
  const col = (name: string) => store.collection<Row>(name);
  async function seed(): Promise<void> {
    const groups = col('alert_groups');
    await groups.insertOne({ _id: 'old-resolved', open: false, resolvedAt: ago(31) });
    await groups.insertOne({ _id: 'new-resolved', open: false, resolvedAt: ago(29) });
    await groups.insertOne({ _id: 'old-open', open: true, firstSeenAt: ago(100) });
    await col('audit').insertOne({ _id: 'a-old', at: ago(401) });
    await col('audit').insertOne({ _id: 'a-new', at: ago(399) });
    await col('outbox').insertOne({ _id: 'o-sent-old', state: 'sent', sentAt: ago(8) });
    await col('outbox').insertOne({ _id: 'o-sent-new', state: 'sent', sentAt: ago(6) });
    await col('outbox').insertOne({ _id: 'o-pending-old', state: 'pending', enqueuedAt: ago(60) });
    await col('outbox').insertOne({ _id: 'o-dead-old', state: 'dead', enqueuedAt: ago(31) });
    await col('alert_inbox_failed').insertOne({ _id: 'dl-old', at: ago(31) });
    await col('job_runs').insertOne({ _id: 'j-old', state: 'ok', startedAt: ago(91) });
    await col('job_runs').insertOne({ _id: 'j-running', state: 'running', startedAt: ago(91) });
    await col('runbook_runs').insertOne({ _id: 'r-old', state: 'succeeded', updatedAt: ago(91).getTime() });
    await col('runbook_runs').insertOne({ _id: 'r-waiting', state: 'waiting', updatedAt: ago(91).getTime() });
    await col('approvals').insertOne({ _id: 'ap-old', state: 'denied', createdAt: ago(91) });
    await col('approvals').insertOne({ _id: 'ap-pending', state: 'pending', createdAt: ago(91) });
  }
  const ids = async (c: string) => (await store.collection(c).find({})).map((d) => d._id).sort();
  const sweeper = (ages = retentionSchema.parse({})) => new RetentionSweeper({ store, coordination, clock, log, ages });

  it('given the defaults, when a sweep runs, then only finished records past their age are removed', async () => {
    await seed();
    const removed = await sweeper().sweep();
    expect(removed).toEqual({ alertGroups: 1, audit: 1, outboxDelivered: 1, outboxDead: 1, inboxDeadLetters: 1, jobRuns: 1, runbookRuns: 1, approvals: 1 });
    expect(await ids('alert_groups')).toEqual(['new-resolved', 'old-open']);
    expect(await ids('audit')).toEqual(['a-new']);
    expect(await ids('outbox')).toEqual(['o-pending-old', 'o-sent-new']);
    expect(await ids('alert_inbox_failed')).toEqual([]);
    expect(await ids('job_runs')).toEqual(['j-running']);
    expect(await ids('runbook_runs')).toEqual(['r-waiting']);
    expect(await ids('approvals')).toEqual(['ap-pending']);
  });

  it('given two replicas, when their timers fire in the same period, then one sweeps and the other does nothing', async () => {
    await seed();
    const swept: string[] = [];
    const mk = (name: string) => new RetentionSweeper({ store, coordination, clock, log, ages: retentionSchema.parse({}), onSwept: async () => { swept.push(name); } });
    const [a, b] = [mk('a'), mk('b')];
    const results = await Promise.all([a.sweepPeriod(), b.sweepPeriod()]);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(swept).toHaveLength(1);
  });

  it('given a running sweeper on a ManualClock, when records age past their setting, then the next period removes them', async () => {
    await col('alert_groups').insertOne({ _id: 'g', open: false, resolvedAt: ago(29) });
    const s = sweeper(retentionSchema.parse({ interval: '1h' }));
    s.start();
    clock.advance(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(await ids('alert_groups')).toEqual(['g']);
    clock.advance(2 * DAY);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(3_600_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(await ids('alert_groups')).toEqual([]);
    await s.stop();
  });

  it('given `forever` or a bad age in config, then it keeps that collection whole or names the key', () => {
    const cfg = parseConfigText('retention: { audit: forever, alertGroups: 14d }', 't.yaml', {});
    expect(cfg.retention.audit).toBeNull();
    expect(cfg.retention.alertGroups).toBe(14 * DAY);
    expect(cfg.retention.outboxDelivered).toBe(7 * DAY);
    expect(() => parseConfigText('retention: { audit: soon }', 't.yaml', {})).toThrow(/retention\.audit: Invalid age "soon"/);
  });
});

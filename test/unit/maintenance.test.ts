/**
 * Maintenance windows on the embedded store and a manual clock: stored, one open window per
 * target, silenced through the silencer port, announced through the outbox, ended by hand or when
 * the clock passes the deadline — once, with two processes on one store and after a restart.
 */
import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Reply } from '../../src/core/reply.js';
import type { Store } from '../../src/core/store/types.js';
import type { SystemEvent } from '../../src/core/audit/log.js';
import { MaintenanceService } from '../../src/core/maintenance/service.js';
import { MaintenanceExpiry } from '../../src/core/maintenance/expiry.js';
import type { TargetSilencer } from '../../src/core/maintenance/silencer.js';
import { targetMatcherValue, targetOfMatcherValue } from '../../src/core/maintenance/silence-form.js';

const log = pino({ level: 'silent' });
const HOUR = 3_600_000;

/** Keeps one message per outbox key, as the outbox does, and counts every enqueue. */
class RecordingOutbox {
  readonly messages = new Map<string, { channel: string; reply: Reply }>();
  enqueued = 0;
  async enqueue(key: string, channel: string, reply: Reply): Promise<void> {
    this.enqueued++;
    this.messages.set(key, { channel, reply });
  }
  titles(): string[] {
    return [...this.messages.values()].map((m) => m.reply.title);
  }
}

class RecordingSilencer implements TargetSilencer {
  readonly where = 'Alertmanager (test)';
  readonly active = new Set<string>();
  created = 0;
  fail = false;
  describe(target: string) {
    return `target=~"${targetMatcherValue(target)}"`;
  }
  async silence(target: string) {
    if (this.fail) throw new Error('Alertmanager is down');
    const id = `s${++this.created}-${target}`;
    this.active.add(id);
    return [id];
  }
  async unsilence(ids: readonly string[]) {
    for (const id of ids) this.active.delete(id);
  }
}

interface Process {
  service: MaintenanceService;
  expiry: MaintenanceExpiry;
  events: SystemEvent[];
}

function processOn(store: Store, clock: ManualClock, outbox: RecordingOutbox, silencer: RecordingSilencer): Process {
  const events: SystemEvent[] = [];
  const service = new MaintenanceService({
    store, clock, outbox, silencer, log, defaultChannel: 'console:alerts',
    audit: { systemEvent: async (e) => { events.push(e); } },
  });
  return { service, expiry: new MaintenanceExpiry(service, clock, log, 30_000), events };
}

/** Lets the store's promises settle after the clock fired timers. */
const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

async function setup() {
  const store = await EmbeddedStore.open(null);
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const outbox = new RecordingOutbox();
  const silencer = new RecordingSilencer();
  return { store, clock, outbox, silencer, p: processOn(store, clock, outbox, silencer) };
}

describe('maintenance windows', () => {
  it('given a window on db, then db is active for its duration and other targets are not', async () => {
    const { clock, outbox, silencer, p } = await setup();
    const r = await p.service.start({ target: 'db', durationMs: 2 * HOUR, by: 'alice', reason: 'disk swap', channel: 'slack:C0OPS' });
    expect(r).toMatchObject({ target: 'db', by: 'alice', reason: 'disk swap', state: 'active', silenceIds: ['s1-db'], version: 2 });
    expect(silencer.active).toEqual(new Set(['s1-db']));
    expect(await p.service.activeFor('db', clock.date())).toMatchObject({ id: r._id, target: 'db', until: new Date(clock.now() + 2 * HOUR) });
    expect(await p.service.activeFor('web', clock.date())).toBeUndefined();
    expect(await p.service.activeFor('db', new Date(clock.now() + 2 * HOUR))).toBeUndefined();
    expect(await p.service.activeFor('db', new Date(clock.now() - 1))).toBeUndefined();
    expect(outbox.messages.get(`maint:${r._id}`)).toMatchObject({ channel: 'slack:C0OPS', reply: { title: 'Maintenance on db started' } });
  });

  it('given an open window on db, when another is started, then it is refused naming the open one', async () => {
    const { p } = await setup();
    const r = await p.service.start({ target: 'db', durationMs: HOUR, by: 'alice' });
    await expect(p.service.start({ target: 'db', durationMs: HOUR, by: 'bob' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(`window ${r._id}, by alice`) });
    await expect(p.service.start({ target: 'web', durationMs: HOUR, by: 'bob' })).resolves.toMatchObject({ target: 'web' });
  });

  it('given Alertmanager refuses the silence, then no window is stored and the error is the caller\'s', async () => {
    const { clock, silencer, p, outbox } = await setup();
    silencer.fail = true;
    await expect(p.service.start({ target: 'db', durationMs: HOUR, by: 'alice' })).rejects.toThrow('Alertmanager is down');
    expect(await p.service.activeFor('db', clock.date())).toBeUndefined();
    expect((await p.service.list()).active).toHaveLength(0);
    expect(outbox.enqueued).toBe(0);
    silencer.fail = false;
    await expect(p.service.start({ target: 'db', durationMs: HOUR, by: 'alice' })).resolves.toMatchObject({ state: 'active' });
  });

  it('given no Alertmanager, then the window still counts and says its alerts are not silenced', async () => {
    const store = await EmbeddedStore.open(null);
    const clock = new ManualClock();
    const outbox = new RecordingOutbox();
    const service = new MaintenanceService({ store, clock, outbox, log, defaultChannel: 'console:alerts', audit: { systemEvent: async () => {} } });
    const r = await service.start({ target: 'db', durationMs: HOUR, by: 'alice' });
    expect(r.silenceIds).toEqual([]);
    expect(await service.activeFor('db', clock.date())).toBeDefined();
    expect(JSON.stringify(outbox.messages.get(`maint:${r._id}`)?.reply)).toContain('not silenced in Alertmanager (no ALERTMANAGER_URL)');
    expect(outbox.messages.get(`maint:${r._id}`)?.channel).toBe('console:alerts');
  });

  it('given a window ended by hand, then its silences expire, the channel is told and a second end is refused', async () => {
    const { clock, outbox, silencer, p } = await setup();
    const r = await p.service.start({ target: 'db', durationMs: 2 * HOUR, by: 'alice' });
    clock.advance(HOUR);
    const ended = await p.service.end(r._id, 'bob');
    expect(ended).toMatchObject({ state: 'ended', endedBy: 'bob', endAnnounced: true, until: clock.date(), plannedUntil: new Date(r.from.getTime() + 2 * HOUR) });
    expect(silencer.active.size).toBe(0);
    expect(await p.service.activeFor('db', clock.date())).toBeUndefined();
    expect(await p.service.activeFor('db', new Date(clock.now() - 1))).toMatchObject({ id: r._id });
    expect(outbox.titles()).toEqual(['Maintenance on db ended', 'Maintenance on db ended']);
    expect(JSON.stringify(outbox.messages.get(`maint:${r._id}:end`)?.reply)).toContain('ended early by bob after 1h');
    await expect(p.service.end(r._id, 'bob')).rejects.toMatchObject({ code: 'conflict' });
    expect(p.events).toEqual([]); // a hand-made end is audited as the command that made it
  });

  it('given two processes on one store, when the deadline passes, then the end is announced and audited once', async () => {
    const { store, clock, outbox, silencer, p } = await setup();
    const q = processOn(store, clock, outbox, silencer);
    await p.expiry.start();
    await q.expiry.start();
    const r = await p.service.start({ target: 'db', durationMs: 10 * 60_000, by: 'alice' });
    clock.advance(10 * 60_000);
    await settle();
    expect((await p.service.find(r._id))).toMatchObject({ state: 'ended', endedBy: 'opsbot', endAnnounced: true });
    expect(outbox.enqueued).toBe(3); // start; at the end: the start message updated and the end message
    expect(outbox.messages.get(`maint:${r._id}:end`)?.reply.title).toBe('Maintenance on db ended');
    expect([...p.events, ...q.events].map((e) => e.action)).toEqual(['maintenance.ended']);
    expect(silencer.active.size).toBe(0);
    clock.advance(HOUR);
    await settle();
    expect(outbox.enqueued).toBe(3);
    await p.expiry.stop();
    await q.expiry.stop();
  });

  it('given the bot was down when the deadline passed, when it starts again, then the end is announced at once', async () => {
    const { store, clock, outbox, silencer, p } = await setup();
    const r = await p.service.start({ target: 'db', durationMs: HOUR, by: 'alice' });
    clock.advance(3 * HOUR); // nothing running: no expiry
    expect(outbox.messages.has(`maint:${r._id}:end`)).toBe(false);
    const restarted = processOn(store, clock, outbox, silencer);
    await restarted.expiry.start();
    expect(await restarted.service.find(r._id)).toMatchObject({ state: 'ended', until: new Date(r.from.getTime() + HOUR), endAnnounced: true });
    expect(outbox.messages.get(`maint:${r._id}:end`)?.reply.blocks[0]).toMatchObject({ text: expect.stringContaining('its time ran out after 1h') });
    expect(restarted.events.map((e) => e.action)).toEqual(['maintenance.ended']);
    await restarted.expiry.stop();
  });

  it('given a process died between ending a window and announcing it, then a later sweep announces it', async () => {
    const { store, clock, outbox, silencer, p } = await setup();
    const r = await p.service.start({ target: 'db', durationMs: HOUR, by: 'alice' });
    // What the dead process left: the window ended, its end not announced.
    await store.collection('maintenance_windows').updateOne({ _id: r._id }, { $set: { state: 'ended', slot: `db#${r._id}`, endedAt: clock.date(), endedBy: 'opsbot', until: clock.date() }, $inc: { version: 1 } });
    await p.service.sweep();
    expect(outbox.messages.has(`maint:${r._id}:end`)).toBe(false); // within the grace: its owner may still be at it
    clock.advance(60_000);
    await p.service.sweep();
    expect(outbox.messages.has(`maint:${r._id}:end`)).toBe(true);
    expect(silencer.active.size).toBe(0);
    expect(await p.service.find(r._id)).toMatchObject({ endAnnounced: true });
  });

  it('given a window whose time ran out before any sweep, when a new one is started, then the old one ends first', async () => {
    const { clock, outbox, p } = await setup();
    const old = await p.service.start({ target: 'db', durationMs: HOUR, by: 'alice' });
    clock.advance(2 * HOUR);
    const fresh = await p.service.start({ target: 'db', durationMs: HOUR, by: 'bob' });
    expect(await p.service.find(old._id)).toMatchObject({ state: 'ended', endAnnounced: true });
    expect(await p.service.activeFor('db', clock.date())).toMatchObject({ id: fresh._id, by: 'bob' });
    expect(outbox.messages.has(`maint:${old._id}:end`)).toBe(true);
  });

  it('lists open windows soonest end first and the recently ended ones', async () => {
    const { clock, p } = await setup();
    const a = await p.service.start({ target: 'db', durationMs: 3 * HOUR, by: 'alice' });
    const b = await p.service.start({ target: 'web', durationMs: HOUR, by: 'alice' });
    const c = await p.service.start({ target: 'cache', durationMs: HOUR, by: 'alice' });
    clock.advance(60_000);
    await p.service.end(c._id, 'bob');
    const { active, ended } = await p.service.list();
    expect(active.map((r) => r._id)).toEqual([b._id, a._id]);
    expect(ended.map((r) => r._id)).toEqual([c._id]);
  });
});

describe('maintenance silence matchers', () => {
  it.each(['db', 'api.v2', 'a_b-c'])('round-trips the target %s through its matcher value', (t) => {
    expect(targetOfMatcherValue(targetMatcherValue(t))).toBe(t);
    expect(new RegExp(`^(?:${targetMatcherValue(t)})$`).test(`${t}:9100`)).toBe(true);
    expect(new RegExp(`^(?:${targetMatcherValue(t)})$`).test(`${t}x`)).toBe(false);
  });

  it('reads no target from other regexes', () => {
    expect(targetOfMatcherValue('db.*')).toBeUndefined();
    expect(targetOfMatcherValue('db|web(:.*)?')).toBeUndefined();
    expect(targetOfMatcherValue('(:.*)?')).toBeUndefined();
  });
});

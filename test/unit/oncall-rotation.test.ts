/** Rotation maths: shift boundaries, layers, restrictions, overrides, DST days in two zones. */
import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { scheduleSchema } from '../../src/config/oncall-schema.js';
import { Schedule, type Override } from '../../src/core/oncall/schedule.js';

const schedule = (cfg: unknown) => new Schedule('s', scheduleSchema.parse(cfg));
const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toMillis();
const show = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat("ccc yyyy-MM-dd HH:mm");
const override = (o: Partial<Override> & Pick<Override, 'person' | 'from' | 'until'>): Override => ({ _id: 'o1', schedule: 's', by: 'test', createdAt: new Date(0), ...o });

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';

describe('weekly rotation (the issue example)', () => {
  const s = schedule({ timezone: BERLIN, layers: [{ people: ['alice', 'bob'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-05' }] });

  it('given alice starts on Mon 2026-01-05 09:00, when asked around the handoffs, then shifts change exactly at Monday 09:00', () => {
    expect(s.at(local('2026-01-05T08:59', BERLIN)).person).toBeUndefined();
    expect(s.at(local('2026-01-05T09:00', BERLIN)).person).toBe('alice');
    expect(s.at(local('2026-01-12T08:59', BERLIN)).person).toBe('alice');
    expect(s.at(local('2026-01-12T09:00', BERLIN)).person).toBe('bob');
    expect(s.at(local('2026-01-19T09:00', BERLIN)).person).toBe('alice');
  });

  it('given a start on a Thursday, when the handoff names Monday, then the first shift starts the Monday after', () => {
    const thu = schedule({ timezone: BERLIN, layers: [{ people: ['alice', 'bob'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-01' }] });
    expect(thu.at(local('2026-01-04T12:00', BERLIN)).person).toBeUndefined();
    expect(thu.at(local('2026-01-05T09:00', BERLIN)).person).toBe('alice');
  });

  it('until and next: the answer says when the shift ends and who is next', () => {
    const t = local('2026-01-07T12:00', BERLIN);
    expect(show(s.until(t) as number, BERLIN)).toBe('Mon 2026-01-12 09:00');
    expect(s.nextAt(t)).toBe('bob');
  });

  it('over the spring-forward week (Berlin, 29 Mar 2026) the Monday 09:00 handoff stays at 09:00 local', () => {
    const line = s.timeline(local('2026-03-23T00:00', BERLIN), local('2026-04-07T00:00', BERLIN));
    expect(line.map((x) => `${x.person ?? '-'} ${show(x.from, BERLIN)}`)).toEqual([
      'alice Mon 2026-03-23 00:00', 'bob Mon 2026-03-23 09:00', 'alice Mon 2026-03-30 09:00', 'bob Mon 2026-04-06 09:00',
    ]);
    // That shift was one hour shorter: 167 h.
    expect(((line[2] as { from: number }).from - (line[1] as { from: number }).from) / 3_600_000).toBe(167);
  });
});

describe('daily rotations across DST in two zones', () => {
  it.each([
    // zone, spring-forward day, fall-back day
    [BERLIN, '2026-03-29', '2026-10-25'],
    [NEW_YORK, '2026-03-08', '2026-11-01'],
  ])('%s: the 09:00 handoff stays at 09:00 on %s (23 h shift) and on %s (25 h shift)', (zone, spring, fall) => {
    const s = schedule({ timezone: zone, layers: [{ people: ['a', 'b', 'c'], shift: '1d', handoff: '09:00', start: '2026-01-01' }] });
    for (const day of [spring, fall]) {
      const before = DateTime.fromISO(`${day}T09:00`, { zone }).minus({ days: 1 });
      const on = DateTime.fromISO(`${day}T09:00`, { zone });
      const atBefore = s.at(before.toMillis()).person;
      const atOn = s.at(on.toMillis()).person;
      expect(atOn).not.toBe(atBefore);
      expect(s.at(on.toMillis() - 1).person).toBe(atBefore);
      expect(show(s.until(before.toMillis()) as number, zone)).toBe(on.toFormat('ccc yyyy-MM-dd HH:mm'));
    }
    const sat = DateTime.fromISO(`${spring}T09:00`, { zone }).minus({ days: 1 });
    const sun = DateTime.fromISO(`${spring}T09:00`, { zone });
    expect((sun.toMillis() - sat.toMillis()) / 3_600_000).toBe(23);
    const fsat = DateTime.fromISO(`${fall}T09:00`, { zone }).minus({ days: 1 });
    const fsun = DateTime.fromISO(`${fall}T09:00`, { zone });
    expect((fsun.toMillis() - fsat.toMillis()) / 3_600_000).toBe(25);
  });

  it.each([[BERLIN, '2026-03-29', '02:30'], [NEW_YORK, '2026-03-08', '02:30']])('%s: a handoff at a time that does not exist on %s (%s) happens when the clock reaches it (one hour later)', (zone, day, time) => {
    const s = schedule({ timezone: zone, layers: [{ people: ['a', 'b'], shift: '1d', handoff: time, start: '2026-03-01' }] });
    const line = s.timeline(local(`${day}T00:00`, zone), local(`${day}T12:00`, zone));
    expect(line.map((x) => show(x.from, zone))).toEqual([`${DateTime.fromISO(day).toFormat('ccc yyyy-MM-dd')} 00:00`, `${DateTime.fromISO(day).toFormat('ccc yyyy-MM-dd')} 03:30`]);
  });

  it.each([[BERLIN, '2026-10-25'], [NEW_YORK, '2026-11-01']])('%s: a 12h rotation counts elapsed hours across the fall-back on %s (the handoff moves to 08:00 local)', (zone, day) => {
    const s = schedule({ timezone: zone, layers: [{ people: ['a', 'b'], shift: '12h', handoff: '09:00', start: '2026-10-01' }] });
    const line = s.timeline(local(`${day}T00:00`, zone), local(`${day}T23:59`, zone));
    expect(line.map((x) => show(x.from, zone).slice(-5))).toEqual(['00:00', '08:00', '20:00']);
    const prev = s.timeline(local(`${day}T00:00`, zone) - 86_400_000, local(`${day}T00:00`, zone));
    expect(prev.map((x) => show(x.from, zone).slice(-5))).toEqual(['00:00', '09:00', '21:00']);
  });
});

describe('layers and restrictions', () => {
  // Follow-the-sun: Berlin covers 07:00–19:00 Berlin, New York the rest; a base layer under both.
  const s = schedule({
    timezone: BERLIN,
    layers: [
      { name: 'base', people: ['carol'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-05' },
      { name: 'emea', people: ['alice'], shift: '1w', start: '2026-01-05', restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00' }] },
      { name: 'amer', people: ['bob'], shift: '1w', start: '2026-01-05', restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '19:00', to: '07:00' }] },
    ],
  });

  it('later layers win where they cover; the base layer answers where none does', () => {
    expect(s.at(local('2026-01-07T10:00', BERLIN)).person).toBe('alice');
    expect(s.at(local('2026-01-07T22:00', BERLIN)).person).toBe('bob');
    expect(s.at(local('2026-01-08T06:59', BERLIN)).person).toBe('bob'); // the window that opened Wednesday 19:00
    expect(s.at(local('2026-01-10T12:00', BERLIN)).person).toBe('carol'); // Saturday
    expect(s.at(local('2026-01-10T12:00', BERLIN)).layers.map((l) => l.person ?? '-')).toEqual(['carol', '-', '-']);
  });

  it('Friday night: the window that opens on Friday 19:00 runs into Saturday 07:00, then the base layer', () => {
    const line = s.timeline(local('2026-01-09T18:00', BERLIN), local('2026-01-10T08:00', BERLIN));
    expect(line.map((x) => `${x.person} ${show(x.from, BERLIN)}`)).toEqual(['alice Fri 2026-01-09 18:00', 'bob Fri 2026-01-09 19:00', 'carol Sat 2026-01-10 07:00']);
  });

  it('a layer with nobody covering an instant and no layer below answers nobody', () => {
    const only = schedule({ timezone: BERLIN, layers: [{ people: ['alice'], shift: '1w', start: '2026-01-05', restrictions: [{ from: '09:00', to: '17:00' }] }] });
    expect(only.at(local('2026-01-07T08:00', BERLIN)).person).toBeUndefined();
    expect(only.at(local('2026-01-07T09:00', BERLIN)).person).toBe('alice');
  });
});

describe('overrides', () => {
  const s = schedule({ timezone: BERLIN, layers: [{ people: ['alice', 'bob'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-05' }] });
  const from = new Date(local('2026-01-07T12:00', BERLIN));
  const until = new Date(local('2026-01-07T18:00', BERLIN));

  it('an override wins over every layer for its time and shows as its own shift', () => {
    const o = override({ person: 'carol', from, until });
    expect(s.at(from.getTime(), [o])).toMatchObject({ person: 'carol', source: 'override o1' });
    expect(s.at(until.getTime(), [o]).person).toBe('alice');
    const line = s.timeline(local('2026-01-07T00:00', BERLIN), local('2026-01-08T00:00', BERLIN), [o]);
    expect(line.map((x) => `${x.person} ${show(x.from, BERLIN)}`)).toEqual(['alice Wed 2026-01-07 00:00', 'carol Wed 2026-01-07 12:00', 'alice Wed 2026-01-07 18:00']);
  });

  it('a swap is two overrides; where overrides overlap, the newest wins', () => {
    const a = override({ _id: 'a', person: 'bob', from, until, createdAt: new Date(1) });
    const b = override({ _id: 'b', person: 'carol', from: new Date(from.getTime() + 3_600_000), until, createdAt: new Date(2) });
    expect(s.at(from.getTime(), [a, b]).person).toBe('bob');
    expect(s.at(from.getTime() + 3_600_000, [a, b]).person).toBe('carol');
  });
});

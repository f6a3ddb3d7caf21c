/**
 * One layer's rotation, pure: who holds shift k, when shift k starts, and whether a restriction
 * window covers an instant. Weeks and days are calendar days in the schedule's zone (a daily
 * 09:00 handoff stays at 09:00 on the 23-hour and 25-hour DST days); hours are elapsed hours.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, type LayerConfig } from '../../config/oncall-schema.js';

export interface Rotation {
  name: string;
  people: string[];
  shift: LayerConfig['shift'];
  zone: string;
  /** The first handoff: shift 0 starts here (ms). */
  anchor: number;
  restrictions: LayerConfig['restrictions'];
}

export function rotationOf(layer: LayerConfig, zone: string, index: number): Rotation {
  const [h, m] = layer.handoff.time.split(':').map(Number) as [number, number];
  let first = DateTime.fromISO(layer.start, { zone }).set({ hour: h, minute: m, second: 0, millisecond: 0 });
  if (layer.handoff.weekday) {
    const want = WEEKDAYS.indexOf(layer.handoff.weekday) + 1; // luxon: Monday = 1
    first = first.plus({ days: (want - first.weekday + 7) % 7 });
  }
  return { name: layer.name ?? `layer ${index + 1}`, people: [...layer.people], shift: layer.shift, zone, anchor: first.toMillis(), restrictions: layer.restrictions };
}

/** When shift `k` starts (k may be negative: before the anchor). */
export function shiftStart(r: Rotation, k: number): number {
  if (r.shift.unit === 'hours') return r.anchor + k * r.shift.count * 3_600_000;
  return DateTime.fromMillis(r.anchor, { zone: r.zone }).plus({ days: k * r.shift.count }).toMillis();
}

/** The shift that holds instant `t`, or undefined before the rotation's first handoff. */
export function shiftIndexAt(r: Rotation, t: number): number | undefined {
  if (t < r.anchor) return undefined;
  const approxMs = r.shift.unit === 'hours' ? r.shift.count * 3_600_000 : r.shift.count * 86_400_000;
  let k = Math.floor((t - r.anchor) / approxMs);
  while (shiftStart(r, k + 1) <= t) k++;
  while (k > 0 && shiftStart(r, k) > t) k--;
  return k;
}

export const personOfShift = (r: Rotation, k: number): string => r.people[((k % r.people.length) + r.people.length) % r.people.length] as string;

/** Is `t` inside one of the layer's restriction windows (always, without restrictions)? */
export function coveredAt(r: Rotation, t: number): boolean {
  if (r.restrictions.length === 0) return true;
  const local = DateTime.fromMillis(t, { zone: r.zone });
  for (const w of r.restrictions) {
    for (const back of [0, 1]) {
      const day = local.minus({ days: back }).startOf('day');
      if (!w.days.includes(WEEKDAYS[day.weekday - 1] as (typeof WEEKDAYS)[number])) continue;
      const [start, end] = windowOn(day, w.from, w.to);
      if (start <= t && t < end) return true;
    }
  }
  return false;
}

function at(day: DateTime, time: string): DateTime {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return day.set({ hour: h, minute: m, second: 0, millisecond: 0 });
}

/** The window opening on `day` (closing the next day when `to` is earlier than `from`). */
function windowOn(day: DateTime, from: string, to: string): [number, number] {
  const start = at(day, from);
  const end = to > from ? at(day, to) : at(day.plus({ days: 1 }), to);
  return [start.toMillis(), end.toMillis()];
}

/** Every instant in [from, to) where this layer's answer may change: handoffs and window edges. */
export function changePoints(r: Rotation, from: number, to: number): number[] {
  const out: number[] = [];
  let k = shiftIndexAt(r, from) ?? -1;
  if (k < 0 && r.anchor >= from && r.anchor < to) out.push(r.anchor);
  for (k = Math.max(k + 1, 0); ; k++) {
    const s = shiftStart(r, k);
    if (s >= to) break;
    if (s >= from) out.push(s);
  }
  if (r.restrictions.length) {
    let day = DateTime.fromMillis(from, { zone: r.zone }).startOf('day').minus({ days: 1 });
    while (day.toMillis() < to) {
      for (const w of r.restrictions) {
        if (!w.days.includes(WEEKDAYS[day.weekday - 1] as (typeof WEEKDAYS)[number])) continue;
        for (const edge of windowOn(day, w.from, w.to)) if (edge >= from && edge < to) out.push(edge);
      }
      day = day.plus({ days: 1 });
    }
  }
  return out;
}

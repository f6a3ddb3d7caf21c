/**
 * A schedule's answer, pure: each layer's person at an instant, the final answer (an override
 * first, then the last layer that covers the instant), and the timeline of final answers
 * between two instants (for `oncall`, the next shifts and the calendar feed).
 */
import type { ScheduleConfig } from '../../config/oncall-schema.js';
import { changePoints, coveredAt, personOfShift, rotationOf, shiftIndexAt, shiftStart, type Rotation } from './rotation.js';

export interface Override {
  _id: string;
  schedule: string;
  person: string;
  from: Date;
  until: Date;
  by: string;
  createdAt: Date;
}

export interface LayerAnswer {
  layer: string;
  /** Undefined when the layer does not cover the instant (before its start, outside its windows). */
  person?: string;
  /** When this layer's shift (or window) ends. */
  until?: number;
}

export interface Answer {
  /** Undefined: nobody is on call. */
  person?: string;
  /** `override <id>` or the layer's name. */
  source?: string;
  layers: LayerAnswer[];
}

export interface Shift {
  person: string | undefined;
  source: string | undefined;
  from: number;
  to: number;
}

export class Schedule {
  readonly rotations: Rotation[];

  constructor(readonly name: string, readonly config: ScheduleConfig) {
    this.rotations = config.layers.map((l, i) => rotationOf(l, config.timezone, i));
  }

  get zone(): string {
    return this.config.timezone;
  }

  layerAt(r: Rotation, t: number): LayerAnswer {
    const k = shiftIndexAt(r, t);
    if (k === undefined || !coveredAt(r, t)) return { layer: r.name };
    return { layer: r.name, person: personOfShift(r, k), until: this.layerChangeAfter(r, t) };
  }

  private layerChangeAfter(r: Rotation, t: number): number {
    const k = shiftIndexAt(r, t) ?? -1;
    const handoff = shiftStart(r, k + 1);
    const edges = changePoints(r, t + 1, handoff + 1).filter((p) => p > t);
    return Math.min(handoff, ...edges);
  }

  /** The answer at `t`: the newest override covering it, else the last layer that covers it. */
  at(t: number, overrides: readonly Override[] = []): Answer {
    const layers = this.rotations.map((r) => this.layerAt(r, t));
    const o = activeOverride(overrides, t);
    if (o) return { person: o.person, source: `override ${o._id}`, layers };
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i] as LayerAnswer;
      if (l.person) return { person: l.person, source: l.layer, layers };
    }
    return { layers };
  }

  /**
   * The person after the current one in the layer that answers at `t` (the secondary): the next
   * participant of that rotation who is not the current on-call.
   */
  nextAt(t: number, overrides: readonly Override[] = []): string | undefined {
    const current = this.at(t, overrides);
    for (let i = this.rotations.length - 1; i >= 0; i--) {
      const r = this.rotations[i] as Rotation;
      const k = shiftIndexAt(r, t);
      if (k === undefined || !coveredAt(r, t)) continue;
      for (let step = 1; step <= r.people.length; step++) {
        const p = personOfShift(r, k + step);
        if (p !== current.person) return p;
      }
      return undefined;
    }
    return undefined;
  }

  /** The person of a named layer at `t`. */
  layerPersonAt(layer: string, t: number): string | undefined {
    const r = this.rotations.find((x) => x.name === layer);
    return r ? this.layerAt(r, t).person : undefined;
  }

  /** Final answers over [from, to), merged where the person does not change. */
  timeline(from: number, to: number, overrides: readonly Override[] = []): Shift[] {
    const points = new Set<number>([from]);
    for (const r of this.rotations) for (const p of changePoints(r, from, to)) points.add(p);
    for (const o of overrides) for (const p of [o.from.getTime(), o.until.getTime()]) if (p > from && p < to) points.add(p);
    const sorted = [...points].sort((a, b) => a - b);
    const out: Shift[] = [];
    for (const [i, p] of sorted.entries()) {
      const a = this.at(p, overrides);
      const end = sorted[i + 1] ?? to;
      const last = out[out.length - 1];
      if (last && last.person === a.person && last.source === a.source) last.to = end;
      else out.push({ person: a.person, source: a.source, from: p, to: end });
    }
    return out;
  }

  /** When the final answer at `t` next changes (within `horizonMs`). */
  until(t: number, overrides: readonly Override[] = [], horizonMs = 60 * 86_400_000): number | undefined {
    const line = this.timeline(t, t + horizonMs, overrides);
    const first = line[0];
    if (!first) return undefined;
    const next = line.find((s) => s.person !== first.person);
    return next?.from;
  }
}

/** The override in force at `t`: the newest of those covering it. */
export function activeOverride(overrides: readonly Override[], t: number): Override | undefined {
  let best: Override | undefined;
  for (const o of overrides) {
    if (o.from.getTime() <= t && t < o.until.getTime() && (!best || o.createdAt.getTime() >= best.createdAt.getTime())) best = o;
  }
  return best;
}

/** The step machine: for any sequence of acks, policy edits, pauses, escalations and ticks, no step fires twice and none after an ack. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { escalateNow, fire, pause, resume, snapshotOf, start, stop, type MachineState, type PolicySnapshot } from '../../src/core/escalation/machine.js';
import { escalationPolicySchema } from '../../src/config/oncall-schema.js';

const policy = (steps: number, repeat: number, delay = '30m') => snapshotOf('p', escalationPolicySchema.parse({
  steps: Array.from({ length: steps }, (_, i) => ({ notify: [{ person: `p${i}` }], delay })), repeat,
}));

type Op = { kind: 'tick'; ms: number } | { kind: 'ack' } | { kind: 'edit'; steps: number } | { kind: 'pause' } | { kind: 'resume' } | { kind: 'escalate'; to?: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 3_600_000 }).map((ms) => ({ kind: 'tick' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ack' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }).map((steps) => ({ kind: 'edit' as const, steps })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
  { weight: 1, arbitrary: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }).map((to) => ({ kind: 'escalate' as const, ...(to === undefined ? {} : { to }) })) },
);

describe('escalation step machine', () => {
  it('given the PixelForge policy, when time passes, then steps fire at 0, 30m, 60m and the policy repeats twice', () => {
    const p = policy(3, 2);
    let s = start(0);
    const fired: string[] = [];
    for (let t = 0; t <= 10 * 3_600_000; t += 60_000) {
      const f = fire(p, s, t);
      if (f) {
        fired.push(`${f.fired.pass}.${f.fired.step}@${t / 60_000}m`);
        s = f.state;
      }
    }
    expect(fired).toEqual(['0.0@0m', '0.1@30m', '0.2@60m', '1.0@90m', '1.1@120m', '1.2@150m', '2.0@180m', '2.1@210m', '2.2@240m']);
    expect(s.phase).toBe('exhausted');
  });

  it('a pause keeps what was left of the wait; resume continues from there', () => {
    const p = policy(2, 0);
    let s = fire(p, start(0), 0)!.state; // step 2 due at 30m
    s = pause(s, 10 * 60_000);
    expect(fire(p, s, 40 * 60_000)).toBeUndefined();
    s = resume(s, 60 * 60_000);
    expect(s.dueAt).toBe(80 * 60_000);
  });

  it('property: no step fires twice, none after an ack, and a policy edit never changes the running snapshot', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.array(op, { maxLength: 60 }), (steps, repeat, ops) => {
      const snapshot: PolicySnapshot = policy(steps, repeat);
      let live = snapshot; // what the config says now: edits change this, never the snapshot
      let s: MachineState = start(0);
      let now = 0;
      let acked = false;
      const fired: string[] = [];
      const record = (r: { state: MachineState; fired: { pass: number; step: number } } | undefined) => {
        if (!r) return;
        expect(acked).toBe(false);
        fired.push(`${r.fired.pass}.${r.fired.step}`);
        s = r.state;
      };
      for (const o of ops) {
        if (o.kind === 'tick') {
          now += o.ms;
          record(fire(snapshot, s, now));
        } else if (o.kind === 'ack') {
          s = stop(s, 'acknowledged');
          acked = true;
        } else if (o.kind === 'edit') {
          live = policy(o.steps, 0, '1m');
        } else if (o.kind === 'pause') {
          s = pause(s, now);
        } else if (o.kind === 'resume') {
          s = resume(s, now);
        } else if (!acked) {
          record(escalateNow(snapshot, s, now, o.to));
        } else {
          expect(escalateNow(snapshot, s, now, o.to)).toBeUndefined();
        }
      }
      expect(new Set(fired).size).toBe(fired.length);
      expect(fired.length).toBeLessThanOrEqual(snapshot.steps.length * (snapshot.repeat + 1));
      for (const key of fired) {
        const [pass, step] = key.split('.').map(Number) as [number, number];
        expect(step).toBeLessThan(snapshot.steps.length);
        expect(pass).toBeLessThanOrEqual(snapshot.repeat);
      }
      expect(live).toBeDefined();
    }), { numRuns: 500 });
  });
});

/**
 * Property: any interleaving of group operations over two replicas (notifications firing or
 * resolved, ack, resolve, silence, silence expiry) ends in the state of some serial order of the
 * same operations, with every command succeeding or being refused as it would in that order.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ManualClock } from '../../src/core/clock.js';
import { acknowledge, applyNotification, newGroup, resolveByHand, silence, type AlertGroup } from '../../src/core/alerts/group.js';
import { notificationHash, type WebhookPayload } from '../../src/core/alerts/payload.js';
import { alertReplicas } from '../support/alert-replicas.js';
import { hosts, payload } from '../support/alert-payloads.js';

const T0 = Date.UTC(2026, 10, 24, 9, 0);
const HOUR = 3_600_000;

type Op =
  | { kind: 'notify'; n: number; resolved: boolean }
  | { kind: 'ack' | 'resolve'; who: string }
  | { kind: 'silence'; expired: boolean }
  | { kind: 'expire' };
interface Placed { op: Op; replica: 0 | 1; delay: number }
type Outcome = 'ok' | 'rejected' | 'done';

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('notify' as const), n: fc.integer({ min: 1, max: 3 }), resolved: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('ack' as const, 'resolve' as const), who: fc.constantFrom('@ann', '@bob') }),
  fc.record({ kind: fc.constant('silence' as const), expired: fc.boolean() }),
  fc.constant({ kind: 'expire' as const }),
);
const placedArb: fc.Arbitrary<Placed> = fc.record({ op: opArb, replica: fc.constantFrom(0 as const, 1 as const), delay: fc.integer({ min: 0, max: 6 }) });

/** Notification `i` of the test's group: distinct per operation (its own start time). */
function notification(name: string, i: number, op: { n: number; resolved: boolean }): WebhookPayload {
  return payload({ alertname: name, alerts: hosts(op.n, { startsAt: new Date(T0 + i * 1000).toISOString(), ...(op.resolved ? { status: 'resolved' as const } : {}) }) });
}

/** The serial semantics of the service, on the pure state machine. */
function serial(start: AlertGroup[], ops: { op: Op; index: number }[], name: string, id: string): { groups: AlertGroup[]; outcomes: Map<number, Outcome> } {
  const now = new Date(T0);
  let groups = start.map((g) => ({ ...g }));
  const outcomes = new Map<number, Outcome>();
  const set = (g: AlertGroup) => { groups = groups.map((x) => (x.occurrence === g.occurrence ? g : x)); };
  for (const { op, index } of ops) {
    const first = groups.find((g) => g._id === id) as AlertGroup;
    switch (op.kind) {
      case 'notify': {
        const p = notification(name, index, op);
        const hash = notificationHash(p);
        const latest = groups.at(-1) as AlertGroup;
        if (latest.seen.includes(hash)) break;
        if (latest.open || p.status === 'resolved') {
          let next = applyNotification(latest, p, hash, now);
          if (!latest.open) next = { ...next, open: false, status: 'resolved', resolvedAt: latest.resolvedAt ?? now };
          set(next);
        } else {
          groups.push(newGroup(`occ${latest.occurrence + 1}`, latest.occurrence + 1, p, latest.routes, hash, now));
        }
        break;
      }
      case 'ack':
        if (!first.open || first.ackedAt) outcomes.set(index, 'rejected');
        else { set(acknowledge(first, op.who, now)); outcomes.set(index, 'ok'); }
        break;
      case 'resolve':
        if (!first.open) outcomes.set(index, 'rejected');
        else { set(resolveByHand(first, op.who, now)); outcomes.set(index, 'ok'); }
        break;
      case 'silence':
        set(silence(first, '@sil', `sil-${index}`, new Date(T0 + (op.expired ? -1000 : HOUR)), now));
        outcomes.set(index, 'ok');
        break;
      case 'expire':
        for (const g of groups) {
          if (g.open && g.silencedUntil && g.silencedUntil.getTime() < T0) {
            const { silenceId: _i, silencedBy: _b, silencedUntil: _u, ...rest } = g;
            set(rest);
          }
        }
        break;
    }
  }
  return { groups, outcomes };
}

/** What must agree: everything but ids, times and versions. */
function view(groups: AlertGroup[]): unknown {
  return groups.map((g) => ({
    occurrence: g.occurrence, open: g.open, status: g.status, ackedBy: g.ackedBy, resolvedBy: g.resolvedBy,
    silenceId: g.silenceId, silenced: g.silencedUntil !== undefined, seen: g.seen,
    alerts: g.alerts.map((a) => `${a.fingerprint}:${a.status}:${a.startsAt.toISOString()}`),
  }));
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const tick = () => new Promise((r) => setImmediate(r));

describe('two replicas: concurrent group operations are serialisable', () => {
  it('given any interleaving of notifications, ack, resolve, silence and expiry, then the end state is that of some serial order', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(placedArb, { minLength: 2, maxLength: 5 }), async (placed) => {
      const clock = new ManualClock(T0);
      const r = await alertReplicas({ storm: { threshold: 1000, window: '1h' } }, { clock, lockRetryMs: 0 });
      const name = `Serial${run++}`;
      try {
        await r.replicas[0].alerts.receive(notification(name, 0, { n: 2, resolved: false }));
        await r.settle();
        const start = await r.groups(payload({ alertname: name, alerts: [] }).groupKey);
        const id = (start[0] as AlertGroup)._id;
        const outcomes = new Map<number, Outcome>();
        await Promise.all(placed.map(async ({ op, replica, delay }, i) => {
          const index = i + 1;
          for (let k = 0; k < delay; k++) await tick();
          const svc = r.replicas[replica].alerts;
          const result = async (p: Promise<unknown>) => outcomes.set(index, await p.then(() => 'ok' as const, (e: unknown) => {
            if (e instanceof Error && /already/.test(e.message)) return 'rejected' as const;
            throw e;
          }));
          switch (op.kind) {
            case 'notify': await svc.receive(notification(name, index, op)); break;
            case 'ack': await result(svc.acknowledge(id, op.who)); break;
            case 'resolve': await result(svc.resolve(id, op.who)); break;
            case 'silence': await result(svc.recordSilence(id, '@sil', `sil-${index}`, new Date(T0 + (op.expired ? -1000 : HOUR)))); break;
            case 'expire': await svc.sweepStorms(); break;
          }
        }));
        await r.settle();
        const actual = view(await r.groups(start[0]?.groupKey as string));
        const ops = placed.map((p, i) => ({ op: p.op, index: i + 1 }));
        const matches = permutations(ops).some((order) => {
          const s = serial(start, order, name, id);
          return JSON.stringify(view(s.groups)) === JSON.stringify(actual) && [...s.outcomes].every(([k, v]) => outcomes.get(k) === v);
        });
        expect({ placed, actual, outcomes: [...outcomes], serialisable: matches }).toMatchObject({ serialisable: true });
      } finally {
        await r.stop();
      }
    }), { numRuns: Number(process.env.SERIAL_RUNS ?? 300) });
  });
});

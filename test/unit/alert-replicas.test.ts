/**
 * Two replicas over one store and one coordination: a command on one replica and a notification
 * (or another command) applied by the other at the same moment. Nothing may be lost: every change
 * that reported success is in the final group, and the group's message shows the final state.
 * Each scenario runs ALERT_TRIALS times (default 100), each on a fresh group and with a different
 * head start for the second action, so that many interleavings are tried.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { alertReplicas, type AlertReplicas } from '../support/alert-replicas.js';
import { hosts, payload } from '../support/alert-payloads.js';
import type { AlertGroup } from '../../src/core/alerts/group.js';

const TRIALS = Number(process.env.ALERT_TRIALS ?? 100);
const HOUR = 3_600_000;

/**
 * The head start of the second action in trial `i`: a few turns of the event loop and a number
 * of promise callbacks, so that the 100 trials step through the window in which the first
 * action has read the group and not yet written it.
 */
async function ticks(i: number): Promise<void> {
  for (let k = 0; k < Math.floor(i / 10) % 10; k++) await new Promise((r) => setImmediate(r));
  for (let k = 0; k < (i % 10) * 4; k++) await Promise.resolve();
}

type Outcome = 'ok' | 'rejected';
const outcome = (p: Promise<unknown>): Promise<Outcome> => p.then(() => 'ok' as const, (e: unknown) => {
  if (e instanceof Error && /already (resolved|acknowledged)/.test(e.message)) return 'rejected' as const;
  throw e;
});

describe('two replicas over one store: concurrent changes to one alert group', () => {
  let r: AlertReplicas;
  beforeAll(async () => {
    r = await alertReplicas();
  });
  afterAll(async () => {
    await r.stop();
  });

  /** Opens a group of two firing alerts through replica A; returns its id and group key. */
  async function open(name: string): Promise<{ id: string; groupKey: string }> {
    const p = payload({ alertname: name, alerts: hosts(2) });
    await r.replicas[0].alerts.receive(p);
    await r.settle();
    const [g] = await r.groups(p.groupKey);
    if (!g) throw new Error(`group ${name} did not open`);
    return { id: g._id, groupKey: p.groupKey };
  }

  /** The latest content of the group's message in the default channel. */
  async function messageTitle(id: string): Promise<string | undefined> {
    const item = await r.store.collection<{ _id: string; ref?: { id: string } }>('outbox').findOne({ _id: `g:${id}:fake:alerts` });
    return item?.ref ? r.chat.messages.get(item.ref.id)?.reply.title : undefined;
  }

  async function trials(name: string, run: (i: number, g: { id: string; groupKey: string }) => Promise<boolean>): Promise<number> {
    let lost = 0;
    for (let i = 0; i < TRIALS; i++) {
      const g = await open(`${name}${i}`);
      if (!(await run(i, g))) lost++;
    }
    return lost;
  }

  it('given replica B acknowledges while replica A applies a new notification, then the ack and the notification both survive', async () => {
    const lost = await trials('AckNotify', async (i, g) => {
      const [, ack] = await Promise.all([
        r.replicas[0].alerts.receive(payload({ alertname: `AckNotify${i}`, alerts: hosts(3) })),
        ticks(i).then(() => outcome(r.replicas[1].alerts.acknowledge(g.id, '@bob'))),
      ]);
      await r.settle();
      const [final] = await r.groups(g.groupKey);
      const firing = final?.alerts.filter((a) => a.status === 'firing').length;
      return ack === 'ok' && final?.ackedBy === '@bob' && firing === 3 && (await messageTitle(g.id)) === '[ACKNOWLEDGED:3] AckNotify' + i;
    });
    expect({ lost, of: TRIALS }).toEqual({ lost: 0, of: TRIALS });
  });

  it('given replica B silences while replica A applies a new notification, then the silence and the notification both survive', async () => {
    const lost = await trials('SilNotify', async (i, g) => {
      await Promise.all([
        r.replicas[0].alerts.receive(payload({ alertname: `SilNotify${i}`, alerts: hosts(3) })),
        ticks(i).then(() => r.replicas[1].alerts.recordSilence(g.id, '@bob', `sil-${i}`, new Date(Date.now() + HOUR))),
      ]);
      await r.settle();
      const [final] = await r.groups(g.groupKey);
      const firing = final?.alerts.filter((a) => a.status === 'firing').length;
      return final?.silenceId === `sil-${i}` && firing === 3 && (await messageTitle(g.id)) === `[SILENCED:3] SilNotify${i}`;
    });
    expect({ lost, of: TRIALS }).toEqual({ lost: 0, of: TRIALS });
  });

  it('given replica B resolves by hand while replica A applies a new notification, then the group stays resolved by B and the notification is applied', async () => {
    const lost = await trials('ResNotify', async (i, g) => {
      await Promise.all([
        r.replicas[0].alerts.receive(payload({ alertname: `ResNotify${i}`, alerts: hosts(3) })),
        ticks(i).then(() => r.replicas[1].alerts.resolve(g.id, '@bob')),
      ]);
      await r.settle();
      const [first, second] = await r.groups(g.groupKey);
      const resolvedByB = first?.open === false && first.resolvedBy === '@bob';
      // Either order is a serial outcome: applied to the first occurrence before the resolve, or a new occurrence after it.
      const applied = first?.alerts.length === 3 || (second?.open === true && second.alerts.length === 3);
      return resolvedByB && applied;
    });
    expect({ lost, of: TRIALS }).toEqual({ lost: 0, of: TRIALS });
  });

  it('given replica B acknowledges while replica A applies the resolving notification, then the group is resolved and a successful ack is kept', async () => {
    const lost = await trials('AckResolve', async (i, g) => {
      const [, ack] = await Promise.all([
        r.replicas[0].alerts.receive(payload({ alertname: `AckResolve${i}`, alerts: hosts(2, { status: 'resolved' }) })),
        ticks(i).then(() => outcome(r.replicas[1].alerts.acknowledge(g.id, '@bob'))),
      ]);
      await r.settle();
      const all = await r.groups(g.groupKey);
      const final = all[0] as AlertGroup | undefined;
      return all.length === 1 && final?.open === false && final.status === 'resolved' && (ack === 'rejected' || final.ackedBy === '@bob');
    });
    expect({ lost, of: TRIALS }).toEqual({ lost: 0, of: TRIALS });
  });

  it('given replica A silences while replica B acknowledges, then both survive', async () => {
    const lost = await trials('AckSil', async (i, g) => {
      const [, ack] = await Promise.all([
        r.replicas[0].alerts.recordSilence(g.id, '@ann', `sil-${i}`, new Date(Date.now() + HOUR)),
        ticks(i).then(() => outcome(r.replicas[1].alerts.acknowledge(g.id, '@bob'))),
      ]);
      await r.settle();
      const [final] = await r.groups(g.groupKey);
      return ack === 'ok' && final?.ackedBy === '@bob' && final.silenceId === `sil-${i}` && (await messageTitle(g.id)) === `[SILENCED:2] AckSil${i}`;
    });
    expect({ lost, of: TRIALS }).toEqual({ lost: 0, of: TRIALS });
  });
});

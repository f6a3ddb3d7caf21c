/**
 * Two alert services (and two outboxes) over ONE store and ONE coordination: the model of two
 * replicas on one MongoDB and one Redis. They post to one recording chat gateway.
 */
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { Outbox, type OutboxGateway } from '../../src/core/outbox/index.js';
import { AlertService } from '../../src/core/alerts/service.js';
import { alertingSchema } from '../../src/config/alerting.js';
import { ManualClock, type Clock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store/types.js';
import type { AlertGroup } from '../../src/core/alerts/group.js';
import type { AlertEvent } from '../../src/core/alerts/events.js';
import { RecordingGateway } from './recording-gateway.js';

export interface Replica {
  alerts: AlertService;
  outbox: Outbox;
}

export interface AlertReplicas {
  store: Store;
  chat: RecordingGateway;
  replicas: [Replica, Replica];
  events: AlertEvent[];
  /** The groups of a group key, by occurrence. */
  groups(groupKey: string): Promise<AlertGroup[]>;
  /** Waits until both replicas applied every accepted notification and sent every due message. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function alertReplicas(alerting: Record<string, unknown> = {}, opts: { clock?: Clock; lockRetryMs?: number } = {}): Promise<AlertReplicas> {
  const store = await EmbeddedStore.open(null);
  const coordination = opts.clock ? new MemoryCoordination(() => (opts.clock as Clock).now()) : new MemoryCoordination();
  const chat = new RecordingGateway('fake');
  const config = alertingSchema.parse({ defaultChannel: 'fake:alerts', rate: { messages: 1000, per: 1000 }, storm: { threshold: 1000, window: '1s' }, ...alerting });
  const log = pino({ level: 'silent' });
  const events: AlertEvent[] = [];
  const make = (): Replica => {
    const gateways = new Map<string, OutboxGateway>([[chat.name, chat]]);
    const outbox: Outbox = new Outbox({ store, coordination, gateways, rate: config.rate, log, retry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 100 }, ...(opts.clock ? { clock: opts.clock } : {}), onDelivered: (item) => alerts.delivered(item) });
    const alerts: AlertService = new AlertService({ store, coordination, outbox, config, log, applyRetryMs: 50, lockRetryMs: opts.lockRetryMs ?? 5, onEvent: (e) => { events.push(e); }, ...(opts.clock ? { clock: opts.clock } : {}) });
    return { alerts, outbox };
  };
  const replicas: [Replica, Replica] = [make(), make()];
  for (const r of replicas) {
    await r.outbox.start();
    await r.alerts.start();
  }
  const inbox = store.collection('alert_inbox');
  const outbox = store.collection('outbox');
  return {
    store, chat, replicas, events,
    groups: (groupKey) => store.collection<AlertGroup>('alert_groups').find({ groupKey }, { sort: { occurrence: 1 } }),
    async settle() {
      // The shared store says when everything is done: a lane that waits for the other replica's lock sleeps meanwhile.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        // A manual clock fires the timers that are due (a processor looking again for the inbox lock) without moving.
        if (opts.clock instanceof ManualClock) opts.clock.advance(0);
        await Promise.all(replicas.map((r) => r.alerts.settled()));
        if ((await inbox.countDocuments()) === 0 && (await outbox.countDocuments({ state: 'pending' })) === 0) {
          await Promise.all(replicas.map((r) => r.alerts.settled()));
          if ((await inbox.countDocuments()) === 0 && (await outbox.countDocuments({ state: 'pending' })) === 0) return;
        }
        // A manual clock moves a little when only deliveries wait (a thread note waits for its message to be posted).
        if (opts.clock instanceof ManualClock && (await inbox.countDocuments()) === 0) opts.clock.advance(200);
        await new Promise((r) => setTimeout(r, 2));
      }
      throw new Error('the replicas did not settle');
    },
    async stop() {
      for (const r of replicas) {
        await r.alerts.stop();
        await r.outbox.stop();
      }
      await store.close();
    },
  };
}

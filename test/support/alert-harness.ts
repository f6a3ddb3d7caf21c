/** The alert service and outbox over an embedded store, delivering to recording gateways. */
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { Outbox, type OutboxGateway } from '../../src/core/outbox/index.js';
import { AlertService } from '../../src/core/alerts/service.js';
import { alertingSchema } from '../../src/config/alerting.js';
import type { Store } from '../../src/core/store/types.js';
import type { Clock } from '../../src/core/clock.js';
import type { Coordination } from '../../src/core/coordination/types.js';
import type { AlertEventSink } from '../../src/core/alerts/events.js';
import { RecordingGateway } from './recording-gateway.js';

export interface AlertHarness {
  store: Store;
  coordination: Coordination;
  chat: RecordingGateway;
  outbox: Outbox;
  alerts: AlertService;
  /** Waits until every notification is applied and every due delivery is sent. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function alertHarness(alerting: Record<string, unknown> = {}, opts: { dataDir?: string; gateways?: OutboxGateway[]; clock?: Clock; onEvent?: AlertEventSink } = {}): Promise<AlertHarness> {
  const store = await EmbeddedStore.open(opts.dataDir ?? null);
  const clock = opts.clock;
  const coordination = clock ? new MemoryCoordination(() => clock.now()) : new MemoryCoordination();
  const chat = new RecordingGateway('fake');
  const config = alertingSchema.parse({ defaultChannel: 'fake:alerts', rate: { messages: 1000, per: 1000 }, ...alerting });
  const log = pino({ level: 'silent' });
  const gateways = new Map<string, OutboxGateway>((opts.gateways ?? [chat]).map((g) => [g.name, g]));
  const outbox = new Outbox({ store, coordination, gateways, rate: config.rate, log, retry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 100 }, ...(clock ? { clock } : {}) });
  const alerts = new AlertService({ store, coordination, outbox, config, log, applyRetryMs: 50, ...(clock ? { clock } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
  await outbox.start();
  await alerts.start();
  return {
    store, coordination, chat, outbox, alerts,
    async settle() {
      await alerts.settled();
      await outbox.idle(20_000);
    },
    async stop() {
      await alerts.stop();
      await outbox.stop();
      await store.close();
    },
  };
}

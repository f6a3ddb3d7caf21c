/** Alerting metrics on the bot's prom-client registry: webhooks, alerts, groups, outbox, chat errors. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OutboxMetrics } from '../outbox/index.js';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'unauthorized' | 'invalid' | 'too_large' | 'error';

export class AlertMetrics implements OutboxMetrics {
  readonly webhooks: Counter<'outcome'>;
  readonly alerts: Counter<'status'>;
  readonly deliverySeconds: Histogram<'surface'>;
  readonly chatErrors: Counter<'surface' | 'code'>;

  constructor(registry: Registry, sources: { groupsByState?: () => Promise<Map<string, number>>; outboxDepth?: () => Promise<Map<string, number>>; outboxDead?: () => Promise<number> } = {}) {
    const registers = [registry];
    this.webhooks = new Counter({ name: 'opsbot_alertmanager_webhooks_total', help: 'Alertmanager webhooks received, by outcome', labelNames: ['outcome'], registers });
    this.alerts = new Counter({ name: 'opsbot_alerts_received_total', help: 'Alerts in accepted notifications, by status', labelNames: ['status'], registers });
    this.deliverySeconds = new Histogram({
      name: 'opsbot_outbox_delivery_seconds',
      help: 'Time from queuing a chat message to the chat API accepting it',
      labelNames: ['surface'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.chatErrors = new Counter({ name: 'opsbot_chat_api_errors_total', help: 'Failed chat API calls by surface and code', labelNames: ['surface', 'code'], registers });
    new Gauge({
      name: 'opsbot_alert_groups',
      help: 'Open alert groups by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const m = (await sources.groupsByState?.()) ?? new Map();
        this.reset();
        for (const s of ['firing', 'acknowledged', 'silenced']) this.set({ state: s }, m.get(s) ?? 0);
      },
    });
    new Gauge({
      name: 'opsbot_outbox_depth',
      help: 'Chat deliveries waiting to be sent, by surface',
      labelNames: ['surface'],
      registers,
      async collect() {
        const m = (await sources.outboxDepth?.()) ?? new Map();
        this.reset();
        for (const [s, n] of m) this.set({ surface: s }, n);
      },
    });
    new Gauge({
      name: 'opsbot_outbox_dead',
      help: 'Chat deliveries that failed for good (a final 4xx)',
      registers,
      async collect() {
        this.set((await sources.outboxDead?.()) ?? 0);
      },
    });
  }

  delivered(surface: string, seconds: number): void {
    this.deliverySeconds.observe({ surface }, seconds);
  }

  failed(surface: string, code: string): void {
    this.chatErrors.inc({ surface, code });
  }
}

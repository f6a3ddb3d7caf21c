/** Prometheus metrics: one registry per bot instance, default process metrics plus invocations. */
import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly invocations: Counter<'command' | 'outcome' | 'surface'>;
  readonly invocationSeconds: Histogram<'command' | 'outcome'>;
  readonly invocationErrors: Counter<'command' | 'code' | 'surface'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'opsbot_' });
    this.invocations = new Counter({
      name: 'opsbot_invocations_total',
      help: 'Command invocations by command, outcome and surface',
      labelNames: ['command', 'outcome', 'surface'],
      registers: [this.registry],
    });
    this.invocationSeconds = new Histogram({
      name: 'opsbot_invocation_duration_seconds',
      help: 'Command invocation duration by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.invocationErrors = new Counter({
      name: 'opsbot_invocation_errors_total',
      help: 'Invocations that did not end ok, by command, stable error code and surface',
      labelNames: ['command', 'code', 'surface'],
      registers: [this.registry],
    });
  }
}

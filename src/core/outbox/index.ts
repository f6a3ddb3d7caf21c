/** The durable chat outbox (see outbox.ts): queue, lanes, sending. */
export { Outbox } from './outbox.js';
export { splitChannel, type DeadListener, type EnqueueOptions, type OutboxGateway, type OutboxItem, type OutboxMetrics, type OutboxOptions } from './types.js';

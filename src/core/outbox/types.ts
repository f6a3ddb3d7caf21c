/** What the outbox stores and is configured with. */
import type { Logger } from 'pino';
import type { ChatGateway, MessageRef } from '../chat.js';
import type { Clock } from '../clock.js';
import type { Coordination } from '../coordination/types.js';
import type { RetryPolicy } from '../delivery.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store/types.js';

export interface OutboxItem {
  /** The message key: one document per chat message. */
  _id: string;
  /** `<surface>:<channel>`. */
  channel: string;
  /** `message`: post once, then update in place. `reply`: posted in the thread of `parent`, then updated in place. */
  kind: 'message' | 'reply';
  parent?: string;
  reply: Reply;
  /** Incremented by every change of the document (compare-and-set). */
  version: number;
  /**
   * The version of the record the content was rendered from (an alert group's version): content
   * from an older version never replaces content from a newer one.
   */
  sourceVersion?: number;
  state: 'pending' | 'sent' | 'dead';
  due: Date;
  attempts: number;
  /** 0 first; larger numbers wait until the channel has nothing more urgent. */
  priority: number;
  createdAt: Date;
  /** FIFO order within a priority (creation time with a tie-breaker). */
  seq: number;
  enqueuedAt: Date;
  sentAt?: Date;
  ref?: MessageRef;
  lastError?: string;
}

export interface EnqueueOptions {
  kind?: 'message' | 'reply';
  parent?: string;
  priority?: number;
  /** The version of the record this content shows; older content than what is queued is dropped. */
  sourceVersion?: number;
}

/** Hears of an item given up on for good (`Outbox.onDead`), with the error that ended it. */
export type DeadListener = (item: OutboxItem, error: unknown) => void | Promise<void>;

export interface OutboxMetrics {
  delivered(surface: string, seconds: number): void;
  failed(surface: string, code: string): void;
}

/** A gateway, optionally able to say it is not connected (surfaces). */
export type OutboxGateway = ChatGateway & { notReadyReason?(): string | undefined };

export interface OutboxOptions {
  store: Store;
  coordination: Coordination;
  /** Surface name → gateway. A channel whose surface is missing or not ready waits. */
  gateways: Map<string, OutboxGateway>;
  rate: { messages: number; per: number };
  log: Logger;
  metrics?: OutboxMetrics;
  retry?: RetryPolicy;
  /** Final failure after this many retryable errors in a row (429s do not count). */
  maxAttempts?: number;
  /** Called (and awaited: stop() waits for it) after a message is delivered. */
  onDelivered?: (item: OutboxItem) => void | Promise<void>;
  collection?: string;
  /** Time for due dates, back-off and lane timers (default: the system clock). */
  clock?: Clock;
  /** How long a lane's lock lasts between extensions (default 30 s). */
  laneLockMs?: number;
}

export function splitChannel(address: string): { surface: string; channel: string } {
  const i = address.indexOf(':');
  return i <= 0 ? { surface: address, channel: '' } : { surface: address.slice(0, i), channel: address.slice(i + 1) };
}

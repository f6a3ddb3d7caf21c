/**
 * A chat gateway that records every call (post, update, thread reply) with its time, and can be
 * told to fail: answer 429 with a Retry-After, or 500, for the next calls.
 */
import { ChatDeliveryError, type ChatGateway, type MessageRef } from '../../src/core/chat.js';
import type { Reply } from '../../src/core/reply.js';

export interface RecordedCall {
  op: 'post' | 'update' | 'dm';
  at: number;
  channel: string;
  id: string;
  thread?: string;
  reply: Reply;
}

export type Failure = { status: 429; retryAfterMs: number } | { status: 500 } | { status: 400 } | { status: 'network' };

export class RecordingGateway implements ChatGateway {
  readonly calls: RecordedCall[] = [];
  /** Every attempt, including the failed ones, with its time. */
  readonly attempts: { at: number; channel: string; outcome: string }[] = [];
  /** The latest content of every message by id. */
  readonly messages = new Map<string, { channel: string; reply: Reply; thread?: string; updates: number }>();
  /** The latest content of every direct message by id. */
  readonly dms = new Map<string, { channel: string; reply: Reply; updates: number }>();
  private readonly failures: Failure[] = [];
  private seq = 0;
  notReady: string | undefined;

  constructor(readonly name = 'fake') {}

  /** The next calls fail like this, in order. */
  failNext(...f: Failure[]): void {
    this.failures.push(...f);
  }

  notReadyReason(): string | undefined {
    return this.notReady;
  }

  private maybeFail(channel: string): void {
    const f = this.failures.shift();
    this.attempts.push({ at: Date.now(), channel, outcome: f ? String(f.status) : 'ok' });
    if (!f) return;
    if (f.status === 429) throw new ChatDeliveryError('rate limited', 429, f.retryAfterMs, true);
    if (f.status === 500) throw new ChatDeliveryError('internal error', 500, undefined, true);
    if (f.status === 400) throw new ChatDeliveryError('invalid_blocks', 400, undefined, false);
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }

  async post(channel: string, reply: Reply, options?: { thread?: string }): Promise<MessageRef> {
    this.maybeFail(channel);
    const id = `m${++this.seq}`;
    this.calls.push({ op: 'post', at: Date.now(), channel, id, reply, ...(options?.thread ? { thread: options.thread } : {}) });
    this.messages.set(id, { channel, reply, updates: 0, ...(options?.thread ? { thread: options.thread } : {}) });
    return { surface: this.name, channel, id, ...(options?.thread ? { thread: options.thread } : {}) };
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.maybeFail(ref.channel);
    this.calls.push({ op: 'update', at: Date.now(), channel: ref.channel, id: ref.id, reply });
    const m = this.messages.get(ref.id) ?? this.dms.get(ref.id);
    if (!m) throw new ChatDeliveryError('message_not_found', 404);
    m.reply = reply;
    m.updates++;
  }

  async directMessage(user: string, reply: Reply): Promise<MessageRef> {
    const id = `d${++this.seq}`;
    this.calls.push({ op: 'dm', at: Date.now(), channel: `@${user}`, id, reply });
    this.dms.set(id, { channel: `@${user}`, reply, updates: 0 });
    return { surface: this.name, channel: `@${user}`, id };
  }

  /** Top-level messages (not thread replies), latest content. */
  topLevel(): { id: string; channel: string; reply: Reply; updates: number }[] {
    return [...this.messages.entries()].filter(([, m]) => !m.thread).map(([id, m]) => ({ id, ...m }));
  }

  threadReplies(): { id: string; thread: string; reply: Reply }[] {
    return [...this.messages.entries()].filter(([, m]) => m.thread).map(([id, m]) => ({ id, thread: m.thread as string, reply: m.reply }));
  }
}

/** A ChatGateway over the recording chat API's HTTP protocol (POST /post, POST /update). */
import { type ChatGateway, type MessageRef } from '../../src/core/chat.js';
import { httpDeliveryError } from '../../src/core/delivery.js';
import type { Reply } from '../../src/core/reply.js';

export class HttpChatGateway implements ChatGateway {
  constructor(readonly name: string, private readonly baseUrl: string) {}

  private async call(op: 'post' | 'update', body: Record<string, unknown>): Promise<{ id: string }> {
    const res = await fetch(`${this.baseUrl}/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw httpDeliveryError(res.status, `chat ${op}: HTTP ${res.status} ${text}`, res.headers.get('retry-after'));
    return JSON.parse(text) as { id: string };
  }

  async post(channel: string, reply: Reply, options?: { thread?: string }): Promise<MessageRef> {
    const { id } = await this.call('post', { channel, reply, ...(options?.thread ? { thread: options.thread } : {}) });
    return { surface: this.name, channel, id, ...(options?.thread ? { thread: options.thread } : {}) };
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    await this.call('update', { channel: ref.channel, id: ref.id, reply });
  }

  async directMessage(user: string, reply: Reply): Promise<MessageRef> {
    return this.post(`@${user}`, reply);
  }
}

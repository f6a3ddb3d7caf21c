/**
 * A recording chat API on loopback (a stand-in for Slack's chat.postMessage / chat.update): it
 * records every request with its arrival time and answers from a script of failures (429 with
 * Retry-After, 500) before succeeding. It outlives the bot processes that post to it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reply } from '../../src/core/reply.js';

export interface ChatRequest {
  at: number;
  op: 'post' | 'update';
  channel: string;
  id?: string;
  thread?: string;
  reply: Reply;
  status: number;
}

export type ScriptedAnswer = { status: 429; retryAfterSec: number } | { status: 500 };

export class RecordingChatServer {
  readonly requests: ChatRequest[] = [];
  readonly messages = new Map<string, { channel: string; reply: Reply; thread?: string; updates: number }>();
  private readonly script: ScriptedAnswer[] = [];
  private server: http.Server | undefined;
  private seq = 0;
  /** Every n-th request (after the script) answers 500; 0 = never. */
  failEvery = 0;
  url = '';

  /** The next requests are answered like this, in order. */
  answerNext(...a: ScriptedAnswer[]): void {
    this.script.push(...a);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => this.handle(req.url ?? '', body, res));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** Accepted requests only. */
  accepted(): ChatRequest[] {
    return this.requests.filter((r) => r.status === 200);
  }

  private handle(url: string, body: string, res: http.ServerResponse): void {
    const op = url.endsWith('/update') ? 'update' : 'post';
    const at = Date.now();
    let parsed: { channel: string; id?: string; thread?: string; reply: Reply };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      res.writeHead(400).end('{"ok":false,"error":"invalid_json"}');
      return;
    }
    const scripted = this.script.shift() ?? (this.failEvery > 0 && (this.requests.length + 1) % this.failEvery === 0 ? { status: 500 as const } : undefined);
    const status = scripted?.status ?? 200;
    this.requests.push({ at, op, channel: parsed.channel, ...(parsed.id ? { id: parsed.id } : {}), ...(parsed.thread ? { thread: parsed.thread } : {}), reply: parsed.reply, status });
    if (scripted?.status === 429) {
      res.writeHead(429, { 'retry-after': String(scripted.retryAfterSec), 'content-type': 'application/json' }).end('{"ok":false,"error":"ratelimited"}');
      return;
    }
    if (scripted?.status === 500) {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"ok":false,"error":"internal_error"}');
      return;
    }
    let id = parsed.id;
    if (op === 'post') {
      id = `ts${++this.seq}`;
      this.messages.set(id, { channel: parsed.channel, reply: parsed.reply, updates: 0, ...(parsed.thread ? { thread: parsed.thread } : {}) });
    } else {
      const m = id ? this.messages.get(id) : undefined;
      if (!m) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false,"error":"message_not_found"}');
        return;
      }
      m.reply = parsed.reply;
      m.updates++;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, id, channel: parsed.channel }));
  }
}

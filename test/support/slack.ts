/**
 * A protocol-level Slack stand-in on loopback, so the real Bolt code runs in tests:
 * - `send*` sign requests exactly as Slack does (v0 HMAC-SHA256 over `v0:<ts>:<raw body>`) and
 *   post them to the bot's `/slack/events`: slash commands as form bodies, interactions as
 *   `payload=<JSON>` form bodies;
 * - a recording Web API (`apiUrl`, for SLACK_API_URL) that answers auth.test, chat.postMessage,
 *   chat.update, conversations.open, usergroups.list, and can be told to answer 429 with
 *   Retry-After, 500, or a platform error (`{ok:false, error:'cannot_dm_bot'}`);
 * - a response_url sink that records what the bot answered later.
 */
import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  at: number;
  /** HTTP status the stand-in answered. */
  status: number;
  /** The JSON body it answered with (a posted message's `ts`). */
  response?: Record<string, unknown>;
}

export interface SinkPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

export interface Failure {
  status: number;
  retryAfter?: number;
  /**
   * The `{ok:false, error}` code (default `ratelimited` for a 429, else `internal_error`). With
   * status 200 it is a platform error, as Slack answers e.g. `cannot_dm_bot` or `user_not_found`.
   */
  error?: string;
}

export interface SignedResponse {
  status: number;
  text: string;
  json: unknown;
  ms: number;
  receivedAt: number;
}

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-token';
export const APP_TOKEN = 'xapp-test-token';

export function signSlack(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** WebClient sends form bodies with JSON-encoded arrays/objects; read both back. */
function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    out[k] = /^[[{]/.test(v) ? (() => { try { return JSON.parse(v) as unknown; } catch { return v; } })() : v;
  }
  return out;
}

export interface SlashCommandInput {
  text: string;
  userId: string;
  userName?: string;
  channelId?: string;
  responseUrl?: string;
  command?: string;
}

export class SlackStandIn {
  readonly calls: ApiCall[] = [];
  readonly responses: SinkPost[] = [];
  usergroups: { id: string; handle: string; users: string[] }[] = [];
  private readonly failures = new Map<string, Failure[]>();
  private readonly sinkFailures: Failure[] = [];
  private server: http.Server | undefined;
  private port = 0;
  private tsCounter = 100;
  /** When true every bot-token call answers `invalid_auth` (a revoked token). */
  revoked = false;
  /** Channels where chat.postMessage answers `not_in_channel`. */
  readonly notInChannel = new Set<string>();
  /** Socket Mode: the WebSocket server behind apps.connections.open, and the connected bot. */
  private wss: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  private readonly envelopes = new Map<string, (payload: unknown) => void>();
  private envelopeCounter = 0;

  constructor(readonly signingSecret = SIGNING_SECRET, readonly botToken = BOT_TOKEN, readonly appToken = APP_TOKEN) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => { void this.route(req, res); });
    this.wss = new WebSocketServer({ server: this.server, path: '/link' });
    this.wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (msg.envelope_id) this.envelopes.get(msg.envelope_id)?.(msg.payload ?? {});
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'stand-in' }, connection_info: { app_id: 'A0TEST' } }));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Whether a Socket Mode client is connected. */
  get socketConnected(): boolean {
    return this.socket?.readyState === 1;
  }

  /** Sends a Socket Mode envelope (e.g. `slash_commands`) and resolves with the client's ack payload. */
  sendEnvelope(type: string, payload: Record<string, unknown>, timeoutMs = 5_000): Promise<{ payload: unknown; ms: number }> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('no Socket Mode client connected'));
    const id = `env-${++this.envelopeCounter}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.envelopes.delete(id); reject(new Error(`no ack for ${type} within ${timeoutMs}ms`)); }, timeoutMs);
      this.envelopes.set(id, (p) => { clearTimeout(timer); this.envelopes.delete(id); resolve({ payload: p, ms: performance.now() - started }); });
      socket.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type !== 'events_api' }));
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** For SLACK_API_URL. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A fresh response_url pointing at the sink. */
  responseUrl(id = `r${Math.random().toString(16).slice(2, 10)}`): string {
    return `http://127.0.0.1:${this.port}/response/${id}`;
  }

  /** The next `times` calls of `method` fail with this status (429 carries Retry-After seconds). */
  failNext(method: string, failure: Failure, times = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array.from({ length: times }, () => failure)]);
  }

  failNextResponse(failure: Failure, times = 1): void {
    this.sinkFailures.push(...Array.from({ length: times }, () => failure));
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  responsesTo(url: string): SinkPost[] {
    const id = url.split('/').pop();
    return this.responses.filter((r) => r.id === id);
  }

  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.failures.clear();
    this.sinkFailures.length = 0;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/response/')) {
      const failure = this.sinkFailures.shift();
      if (failure) {
        send(failure.status, { ok: false }, failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
        return;
      }
      this.responses.push({ id: url.pathname.slice('/response/'.length), body: JSON.parse(raw || '{}') as Record<string, unknown>, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      send(404, { ok: false, error: 'not_found' });
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const args = parseArgs(String(req.headers['content-type'] ?? ''), raw);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
    const call: ApiCall = { method, args, token, at: Date.now(), status: 200 };
    this.calls.push(call);
    const failure = this.failures.get(method)?.shift();
    if (failure) {
      call.status = failure.status;
      send(failure.status, { ok: false, error: failure.error ?? (failure.status === 429 ? 'ratelimited' : 'internal_error') }, failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
      return;
    }
    if (method === 'apps.connections.open') {
      send(200, token === this.appToken ? { ok: true, url: `ws://127.0.0.1:${this.port}/link?ticket=t1` } : { ok: false, error: 'invalid_auth' });
      return;
    }
    if (token !== this.botToken || this.revoked) {
      send(200, { ok: false, error: 'invalid_auth' });
      return;
    }
    call.response = this.answer(method, args);
    send(200, call.response);
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://test.slack.com/', team: 'Test Team', user: 'opsbot', team_id: 'T0TEST', user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'chat.postMessage': {
        const channel = String(args.channel);
        if (this.notInChannel.has(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = `1700000000.${String(this.tsCounter++).padStart(6, '0')}`;
        return { ok: true, channel, ts, message: { text: args.text, blocks: args.blocks, ts } };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `1700000000.${String(this.tsCounter++).padStart(6, '0')}` };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users)}` } };
      case 'usergroups.list':
        return { ok: true, usergroups: this.usergroups.map((g) => ({ id: g.id, handle: g.handle, ...(args.include_users ? { users: g.users } : {}) })) };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  // ---- requests into the bot, signed as Slack signs them ----

  async sendSigned(baseUrl: string, body: string, opts: { contentType?: string; timestamp?: number; signature?: string | null; secret?: string; path?: string } = {}): Promise<SignedResponse> {
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    };
    if (opts.signature !== null) headers['x-slack-signature'] = opts.signature ?? signSlack(opts.secret ?? this.signingSecret, ts, body);
    const started = performance.now();
    const res = await fetch(`${baseUrl}${opts.path ?? '/slack/events'}`, { method: 'POST', headers, body });
    const text = await res.text();
    const ms = performance.now() - started;
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, text, json, ms, receivedAt: Date.now() };
  }

  slashCommandBody(cmd: SlashCommandInput): string {
    return new URLSearchParams(this.slashCommandFields(cmd)).toString();
  }

  slashCommandFields(cmd: SlashCommandInput): Record<string, string> {
    return {
      token: 'deprecated-verification-token',
      team_id: 'T0TEST',
      team_domain: 'test',
      channel_id: cmd.channelId ?? 'C0OPS',
      channel_name: 'ops',
      user_id: cmd.userId,
      user_name: cmd.userName ?? cmd.userId.toLowerCase(),
      command: cmd.command ?? '/ops',
      text: cmd.text,
      api_app_id: 'A0TEST',
      is_enterprise_install: 'false',
      response_url: cmd.responseUrl ?? this.responseUrl(),
      trigger_id: '123.456.abc',
    };
  }

  sendSlashCommand(baseUrl: string, cmd: Parameters<SlackStandIn['slashCommandBody']>[0], opts: Parameters<SlackStandIn['sendSigned']>[2] = {}): Promise<SignedResponse> {
    return this.sendSigned(baseUrl, this.slashCommandBody(cmd), opts);
  }

  /**
   * A button press as Slack sends it. `blocks` are the blocks of the message the button is on; by
   * default a message that carries exactly the pressed button. `message: false` leaves the message
   * out (Slack does so for ephemeral messages only).
   */
  blockActionsPayload(p: { value: string; userId: string; channelId?: string; messageTs?: string; blocks?: unknown[]; message?: false; responseUrl?: string; ephemeral?: boolean; actionId?: string; blockId?: string }): Record<string, unknown> {
    const channel = p.channelId ?? 'C0OPS';
    const ts = p.messageTs ?? '1700000000.000001';
    const actionId = p.actionId ?? 'opsbot:run:0';
    const blockId = p.blockId ?? 'opsbot:actions';
    const text = { type: 'plain_text', text: 'Press' };
    const blocks = p.blocks ?? [{ type: 'actions', block_id: blockId, elements: [{ type: 'button', action_id: actionId, text, value: p.value }] }];
    return {
      type: 'block_actions',
      user: { id: p.userId, username: p.userId.toLowerCase(), name: p.userId.toLowerCase(), team_id: 'T0TEST' },
      api_app_id: 'A0TEST',
      token: 'deprecated-verification-token',
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: p.ephemeral ?? false },
      trigger_id: '123.456.def',
      team: { id: 'T0TEST', domain: 'test' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: channel, name: 'ops' },
      ...(p.message === false ? {} : { message: { type: 'message', user: 'U0BOT', bot_id: 'B0BOT', ts, text: 'original', blocks } }),
      state: { values: {} },
      response_url: p.responseUrl ?? this.responseUrl(),
      actions: [{ action_id: actionId, block_id: blockId, text, value: p.value, type: 'button', action_ts: String(Date.now() / 1000) }],
    };
  }

  /** An Events API `event_callback` (JSON body), e.g. an `app_mention`. */
  sendEvent(baseUrl: string, event: Record<string, unknown>, opts: Parameters<SlackStandIn['sendSigned']>[2] = {}): Promise<SignedResponse> {
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: 'T0TEST',
      api_app_id: 'A0TEST',
      event,
      type: 'event_callback',
      event_id: `Ev${Math.random().toString(16).slice(2, 12)}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true }],
    });
    return this.sendSigned(baseUrl, body, { contentType: 'application/json', ...opts });
  }

  sendBlockAction(baseUrl: string, p: Parameters<SlackStandIn['blockActionsPayload']>[0], opts: Parameters<SlackStandIn['sendSigned']>[2] = {}): Promise<SignedResponse> {
    return this.sendSigned(baseUrl, new URLSearchParams({ payload: JSON.stringify(this.blockActionsPayload(p)) }).toString(), opts);
  }
}

export async function startSlackStandIn(): Promise<SlackStandIn> {
  return new SlackStandIn().start();
}

/** The environment a bot needs to talk to this stand-in in HTTP mode. */
export function slackEnv(s: SlackStandIn): Record<string, string> {
  return { SLACK_BOT_TOKEN: s.botToken, SLACK_SIGNING_SECRET: s.signingSecret, SLACK_API_URL: s.apiUrl };
}

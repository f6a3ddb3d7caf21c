/**
 * A Discord REST + gateway stand-in on loopback that the real discord.js client connects to.
 * REST (under /api/v10): `GET /gateway/bot`, interaction callbacks, webhook follow-ups and edits
 * of `@original`, channel messages, DM channels, application commands. Gateway (WebSocket, `ws`):
 * HELLO, IDENTIFY → READY, heartbeats → ACK, RESUME → RESUMED, and dispatches of
 * INTERACTION_CREATE for slash commands, autocomplete and button presses.
 * Everything is recorded; any route can be made to answer 429 (Retry-After), 5xx or 4xx (with a
 * JSON error code of choice, e.g. 403 / 50007 for a member who blocks direct messages).
 * Like Discord, an interaction not answered within 3 s is unknown (10062), and one answered twice
 * is refused (40060).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  auth: string | undefined;
  at: number;
  status: number;
}

export interface GatewayFrame {
  dir: 'in' | 'out';
  op: number;
  t?: string | null;
  d?: unknown;
  at: number;
}

export interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  /** Seconds, sent as `Retry-After` (and `retry_after` in the body) with a 429. */
  retryAfter?: number;
  times?: number;
  /** Discord's JSON error `code` (default 50013 for a 4xx, 0 for a 5xx), e.g. 50007 "Cannot send messages to this user". */
  code?: number;
  /** The JSON error `message` (default `stand-in fault <status>`). */
  message?: string;
}

export interface TestMember {
  id: string;
  username: string;
  roles?: string[];
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let counter = 0n;
export function snowflake(): string {
  counter++;
  return String(((BigInt(Date.now()) - 1420070400000n) << 22n) + counter);
}

interface PendingInteraction {
  id: string;
  token: string;
  dispatchedAt: number;
  acknowledged?: number;
  channelId: string;
  /** The message a button was on; `@original` for components. */
  componentMessageId?: string;
  originalId?: string;
}

export class DiscordStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly frames: GatewayFrame[] = [];
  readonly messages = new Map<string, Json>();
  readonly commands: Json[] = [];
  readonly appId = snowflake();
  readonly botUser = { id: snowflake(), username: 'opsbot', discriminator: '0', global_name: 'opsbot', avatar: null, bot: true };
  readonly guildId = snowflake();
  identifies = 0;
  heartbeats = 0;
  private readonly faults: Fault[] = [];
  private readonly watchers = new Set<(r: RecordedRequest) => void>();
  private readonly interactions = new Map<string, PendingInteraction>();
  private readonly sockets = new Set<WebSocket>();
  private seq = 0;
  private port = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    readonly token: string,
    private readonly heartbeatMs: number,
    /** Roles the guild has (sent with GUILD_CREATE). A member may also hold roles not listed. */
    private readonly guildRoles: string[],
  ) {}

  static async start(opts: { token: string; heartbeatMs?: number; roles?: string[] }): Promise<DiscordStandIn> {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: '/gateway' });
    const s = new DiscordStandIn(server, wss, opts.token, opts.heartbeatMs ?? 1000, opts.roles ?? []);
    server.on('request', (req, res) => { void s.onRequest(req, res); });
    wss.on('connection', (ws) => s.onSocket(ws));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    s.port = (server.address() as AddressInfo).port;
    return s;
  }

  /** The REST base for `DISCORD_API_URL` (discord.js appends `/v10`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  get connected(): number {
    return this.sockets.size;
  }

  /** Calls `fn` for every request once it is answered; returns a function that stops it. */
  watch(fn: (r: RecordedRequest) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  fail(f: Fault): void {
    this.faults.push({ times: 1, ...f });
  }

  /** Requests by method and path pattern, in order. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Interaction callbacks (`{type, data}`) sent for one interaction. */
  callbacks(interactionId: string): RecordedRequest[] {
    return this.calls('POST', new RegExp(`^/interactions/${interactionId}/[^/]+/callback$`));
  }

  webhookCalls(token: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(`/webhooks/${this.appId}/${token}`));
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- gateway -------------------------------------------------------------------------------

  private send(ws: WebSocket, frame: { op: number; t?: string | null; s?: number | null; d?: unknown }): void {
    this.frames.push({ dir: 'out', op: frame.op, t: frame.t ?? null, d: frame.d, at: Date.now() });
    ws.send(JSON.stringify({ t: null, s: null, ...frame }));
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    this.send(ws, { op: 10, d: { heartbeat_interval: this.heartbeatMs } });
    ws.on('message', (raw) => {
      const p = JSON.parse(String(raw)) as { op: number; d: Json };
      this.frames.push({ dir: 'in', op: p.op, d: p.d, at: Date.now() });
      if (p.op === 1) {
        this.heartbeats++;
        this.send(ws, { op: 11 });
      } else if (p.op === 2) {
        if (p.d.token !== this.token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        this.identifies++;
        this.send(ws, { op: 0, t: 'READY', s: ++this.seq, d: {
          v: 10, user: this.botUser, guilds: [{ id: this.guildId, unavailable: true }], session_id: `session-${this.identifies}`,
          resume_gateway_url: this.gatewayUrl, shard: [0, 1], application: { id: this.appId, flags: 0 },
          user_settings: {}, private_channels: [], relationships: [], presences: [], guild_join_requests: [], geo_ordered_rtc_regions: [],
        } });
        // Like Discord with the Guilds intent: the guild follows READY, roles and channels included.
        if ((Number(p.d.intents) & 1) === 1) this.send(ws, { op: 0, t: 'GUILD_CREATE', s: ++this.seq, d: this.guild() });
      } else if (p.op === 6) {
        this.send(ws, { op: 0, t: 'RESUMED', s: ++this.seq, d: {} });
      }
    });
  }

  /** Closes every gateway connection as Discord does before a reconnect (the client should resume). */
  dropConnections(code = 4000): void {
    for (const ws of this.sockets) ws.close(code, 'stand-in dropped the connection');
  }

  private guild(): Json {
    const role = (id: string, name: string, position: number) => ({ id, name, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, icon: null, unicode_emoji: null, position, permissions: '2248473465835073', managed: false, mentionable: false, flags: 0 });
    return {
      id: this.guildId, name: 'Stand-in Guild', icon: null, splash: null, discovery_splash: null, owner_id: '1', afk_channel_id: null, afk_timeout: 300,
      verification_level: 0, default_message_notifications: 0, explicit_content_filter: 0, features: [], mfa_level: 0, application_id: null,
      system_channel_id: null, system_channel_flags: 0, rules_channel_id: null, vanity_url_code: null, description: null, banner: null,
      premium_tier: 0, premium_subscription_count: 0, preferred_locale: 'en-US', public_updates_channel_id: null, nsfw_level: 0,
      premium_progress_bar_enabled: false, safety_alerts_channel_id: null, max_members: 500000, max_video_channel_users: 25,
      roles: [role(this.guildId, '@everyone', 0), ...this.guildRoles.map((r, i) => role(r, `role-${r}`, i + 1))],
      emojis: [], stickers: [], channels: [{ id: 'c-ops', type: 0, name: 'ops', position: 0, permission_overwrites: [], guild_id: this.guildId, nsfw: false, parent_id: null, topic: null, last_message_id: null, rate_limit_per_user: 0, flags: 0 }],
      threads: [], members: [], voice_states: [], presences: [], stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
      member_count: 3, large: false, unavailable: false, joined_at: new Date(0).toISOString(), lazy: true,
    };
  }

  /** Sends a dispatch to every connected client. */
  dispatch(t: string, d: unknown): void {
    for (const ws of this.sockets) this.send(ws, { op: 0, t, s: ++this.seq, d });
  }

  private member(m: TestMember): Json {
    return {
      user: { id: m.id, username: m.username, discriminator: '0', global_name: m.username, avatar: null },
      roles: m.roles ?? [], permissions: '2248473465835073', joined_at: new Date(0).toISOString(),
      deaf: false, mute: false, flags: 0, nick: null, avatar: null, premium_since: null, pending: false,
    };
  }

  private interaction(type: number, m: TestMember, channelId: string, data: Json, extra: Json = {}): { id: string; token: string } {
    const id = snowflake();
    const token = `itoken-${id}`;
    this.interactions.set(id, { id, token, dispatchedAt: Date.now(), channelId, ...(extra.message ? { componentMessageId: extra.message.id } : {}) });
    this.dispatch('INTERACTION_CREATE', {
      id, application_id: this.appId, type, token, version: 1,
      guild_id: this.guildId, channel_id: channelId, member: this.member(m),
      channel: { id: channelId, type: 0, guild_id: this.guildId, name: channelId, flags: 0, permissions: '2248473465835073', nsfw: false, parent_id: null, position: 0, last_message_id: null },
      app_permissions: '2248473465835073', locale: 'en-US', guild_locale: 'en-US', entitlements: [],
      authorizing_integration_owners: { 0: this.guildId }, context: 0, data, ...extra,
    });
    return { id, token };
  }

  /** `/ops <path…>` with options: `slashCommand(m, ['health'], [{name:'target', type:3, value:'web'}])`. */
  slashCommand(m: TestMember, path: string[], options: Json[] = [], opts: { channelId?: string; autocomplete?: boolean } = {}): { id: string; token: string } {
    let tree: Json[] = options;
    if (path.length === 2) tree = [{ type: 2, name: path[0], options: [{ type: 1, name: path[1], options }] }];
    else if (path.length === 1) tree = [{ type: 1, name: path[0], options }];
    return this.interaction(opts.autocomplete ? 4 : 2, m, opts.channelId ?? 'c-ops', { id: 'cmd-ops', name: 'ops', type: 1, guild_id: this.guildId, options: tree });
  }

  /** Presses a button (by custom_id) on a message the bot posted. */
  pressButton(m: TestMember, messageId: string, customId: string): { id: string; token: string } {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    return this.interaction(3, m, message.channel_id, { custom_id: customId, component_type: 2 }, { message });
  }

  // ---- REST ----------------------------------------------------------------------------------

  private newMessage(channelId: string, body: Json, extra: Json = {}): Json {
    const msg = {
      id: snowflake(), channel_id: channelId, type: 0, author: this.botUser, content: body.content ?? '',
      embeds: body.embeds ?? [], components: body.components ?? [], flags: body.flags ?? 0,
      timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false,
      mentions: [], mention_roles: [], attachments: [], pinned: false, ...extra,
    };
    this.messages.set(msg.id, msg);
    return msg;
  }

  private edit(id: string, body: Json): Json | undefined {
    const msg = this.messages.get(id);
    if (!msg) return undefined;
    for (const k of ['content', 'embeds', 'components', 'flags'] as const) if (body[k] !== undefined) msg[k] = body[k];
    msg.edited_timestamp = new Date().toISOString();
    return msg;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: Json | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const rec: RecordedRequest = { method: req.method ?? 'GET', path, query: url.searchParams, body, auth: req.headers.authorization, at: Date.now(), status: 0 };
    this.requests.push(rec);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
      for (const w of this.watchers) w(rec);
    };
    if (!url.pathname.startsWith('/api/v10/')) return send(404, { message: '404: Not Found', code: 0 });

    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && (!f.method || f.method === rec.method) && f.path.test(path));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.status === 429) {
        const after = fault.retryAfter ?? 1;
        return send(429, { message: 'You are being rate limited.', retry_after: after, global: false }, { 'retry-after': String(after), 'x-ratelimit-scope': 'user' });
      }
      return send(fault.status, { message: fault.message ?? `stand-in fault ${fault.status}`, code: fault.code ?? (fault.status >= 500 ? 0 : 50013) });
    }

    const m = (re: RegExp) => re.exec(path);
    const needsBot = !path.startsWith('/interactions/') && !path.startsWith('/webhooks/');
    if (needsBot && rec.auth !== `Bot ${this.token}`) return send(401, { message: '401: Unauthorized', code: 0 });
    let g: RegExpExecArray | null;

    if (rec.method === 'GET' && (path === '/gateway/bot' || path === '/gateway')) {
      return send(200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (rec.method === 'POST' && (g = m(/^\/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      const it = this.interactions.get(g[1] as string);
      if (!it || it.token !== g[2]) return send(404, { message: 'Unknown interaction', code: 10062 });
      if (Date.now() - it.dispatchedAt > 3000) return send(404, { message: 'Unknown interaction', code: 10062 });
      if (it.acknowledged) return send(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      it.acknowledged = Date.now();
      const type = body?.type as number;
      const data = (body?.data ?? {}) as Json;
      if (type === 4 || type === 5) it.originalId = this.newMessage(it.channelId, type === 5 ? { flags: (data.flags ?? 0) | 128 } : data, { interaction_id: it.id, webhook_id: this.appId }).id;
      else if (type === 6 || type === 7) {
        it.originalId = it.componentMessageId;
        if (type === 7 && it.originalId) this.edit(it.originalId, data);
      }
      return send(204);
    }
    if ((g = m(/^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/))) {
      const it = [...this.interactions.values()].find((i) => i.token === g?.[2]);
      if (g[1] !== this.appId || !it || !it.acknowledged) return send(404, { message: 'Unknown Webhook', code: 10015 });
      if (!g[3] && rec.method === 'POST') return send(200, this.newMessage(it.channelId, body ?? {}, { webhook_id: this.appId }));
      const original = it.originalId ? this.messages.get(it.originalId) : undefined;
      if (!original) return send(404, { message: 'Unknown Message', code: 10008 });
      if (rec.method === 'PATCH') return send(200, this.edit(original.id, body ?? {}));
      if (rec.method === 'GET') return send(200, original);
      if (rec.method === 'DELETE') {
        this.messages.delete(original.id);
        return send(204);
      }
    }
    if (rec.method === 'POST' && (g = m(/^\/channels\/([^/]+)\/messages$/))) {
      return send(200, this.newMessage(g[1] as string, body ?? {}));
    }
    if (rec.method === 'PATCH' && (g = m(/^\/channels\/([^/]+)\/messages\/(\d+)$/))) {
      const msg = this.edit(g[2] as string, body ?? {});
      return msg ? send(200, msg) : send(404, { message: 'Unknown Message', code: 10008 });
    }
    if (rec.method === 'POST' && path === '/users/@me/channels') {
      return send(200, { id: `dm-${body?.recipient_id}`, type: 1, recipients: [{ id: body?.recipient_id, username: 'someone', discriminator: '0', avatar: null }] });
    }
    if ((rec.method === 'POST' || rec.method === 'PUT') && (g = m(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      if (g[1] !== this.appId) return send(404, { message: 'Unknown Application', code: 10002 });
      const list = (rec.method === 'PUT' ? body : [body]) as Json[];
      const saved = list.map((c) => ({ ...c, id: snowflake(), application_id: this.appId, version: snowflake(), ...(g?.[2] ? { guild_id: g[2] } : {}) }));
      this.commands.push(...saved);
      return send(rec.method === 'PUT' ? 200 : 201, rec.method === 'PUT' ? saved : saved[0]);
    }
    return send(404, { message: '404: Not Found', code: 0 });
  }
}

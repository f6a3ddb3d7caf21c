/** The webhook edge and the whole path to chat, in-process, against a recording gateway. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';

const TOKEN = 'test-webhook-token-123';
const YAML = `
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 100, per: 1s }
  bodyLimit: 64KiB
  routes:
    - name: db
      matchers: ['team="db"']
      channels: [fake:db, slack:C0DB]
      mention: "@here"
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    "fake:U1": [admin]
`;

describe('POST /webhooks/alertmanager', () => {
  let t: TestBot;
  let chat: RecordingGateway;

  beforeEach(async () => {
    chat = new RecordingGateway('fake');
    t = await startTestBot({ yaml: YAML, env: { WEBHOOK_TOKEN: TOKEN }, extra: { chatGateways: [chat] } });
  });
  afterEach(async () => {
    await t.stop();
  });

  const send = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${t.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const stored = async () => (await t.bot.store.collection('alert_groups').countDocuments()) + (await t.bot.store.collection('alert_inbox').countDocuments());
  const settle = async () => {
    await t.bot.alerts.settled();
    await t.bot.outbox.idle(10_000);
  };

  it('given no or a wrong bearer token, when posting, then 401 and nothing is stored', async () => {
    const none = await send(payload({ alerts: hosts(1) }), {});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await send(payload({ alerts: hosts(1) }), { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(await stored()).toBe(0);
  });

  it('given a body over the limit, then 413 naming the limit and nothing is stored', async () => {
    const big = payload({ alerts: hosts(1, { annotations: { description: 'x'.repeat(70_000) } }) });
    const res = await send(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large', limit: 65536 });
    expect(await stored()).toBe(0);
  });

  it('given malformed JSON, then 400 invalid_json', async () => {
    const res = await send('{"version": "4", ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_json' });
  });

  it('given a schema violation, then 400 naming the field and nothing is stored', async () => {
    const bad = payload({ alerts: hosts(2) }) as unknown as { alerts: { labels: unknown }[] };
    (bad.alerts[1] as { labels: unknown }).labels = { severity: 3 };
    const res = await send(bad);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { field: string; error: string };
    expect(body).toMatchObject({ error: 'invalid_payload', field: 'alerts[1].labels.severity' });
    expect(await stored()).toBe(0);
  });

  it('given a new group, then one message; more alerts update it; a duplicate posts nothing; resolution updates it and replies in the thread', async () => {
    const first = await send(payload({ alerts: hosts(1) }));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'accepted' });
    await settle();
    expect(chat.calls.map((c) => c.op)).toEqual(['post']);
    expect(chat.calls[0]).toMatchObject({ channel: 'alerts' });
    expect(chat.calls[0]?.reply.title).toBe('[FIRING:1] HighCPU');
    const [opened] = await t.bot.alerts.listOpen();
    expect(await waitFor(async () => (await t.bot.alerts.find(opened?._id as string)).lastNotifiedAt, { what: 'lastNotifiedAt' })).toBeInstanceOf(Date);

    const dup = await send(payload({ alerts: hosts(1) }));
    expect(await dup.json()).toMatchObject({ status: 'duplicate' });
    await settle();
    expect(chat.calls).toHaveLength(1);

    await send(payload({ alerts: hosts(3) }));
    await settle();
    expect(chat.calls.map((c) => c.op)).toEqual(['post', 'update']);
    expect(chat.calls[1]?.id).toBe(chat.calls[0]?.id);
    expect(chat.calls[1]?.reply.title).toBe('[FIRING:3] HighCPU');

    await send(payload({ alerts: hosts(3, { status: 'resolved' }) }));
    await settle();
    const top = chat.topLevel();
    expect(top).toHaveLength(1);
    expect(top[0]?.reply.title).toBe('[RESOLVED] HighCPU');
    expect(top[0]?.reply.buttons).toBeUndefined();
    const replies = chat.threadReplies();
    expect(replies).toHaveLength(1);
    expect(replies[0]?.thread).toBe(top[0]?.id);

    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/opsbot_alertmanager_webhooks_total\{outcome="accepted"\} 3/);
    expect(metrics).toMatch(/opsbot_alertmanager_webhooks_total\{outcome="duplicate"\} 1/);
    expect(metrics).toMatch(/opsbot_alerts_received_total\{status="resolved"\} 3/);
  });

  it('given a firing group, when a user presses Acknowledge, then the message shows who acknowledged it', async () => {
    await send(payload({ alerts: hosts(2) }));
    await settle();
    const ack = chat.calls[0]?.reply.buttons?.find((b) => b.label === 'Acknowledge');
    expect(ack?.command).toMatch(/^ack [0-9a-f]{4,}$/);
    const r = await t.bot.router.handle({ subject: { id: 'fake:U1', display: '@alice' }, surface: 'fake', line: ack?.command as string });
    expect(r.outcome).toBe('ok');
    await settle();
    const msg = chat.topLevel()[0];
    expect(msg?.reply.title).toBe('[ACKNOWLEDGED:2] HighCPU');
    expect(JSON.stringify(msg?.reply.blocks)).toContain('ACKNOWLEDGED by @alice');
    const again = await t.bot.router.handle({ subject: { id: 'fake:U1' }, surface: 'fake', line: ack?.command as string });
    expect(again.outcome).toBe('failed');
    expect(again.reply.blocks[0]).toMatchObject({ text: expect.stringContaining('already acknowledged by @alice') });
  });

  it('given --dry-run on ack, resolve and silence, then each says exactly what it would do and nothing changes', async () => {
    await send(payload({ alerts: hosts(1) }));
    await settle();
    const [g] = await t.bot.alerts.listOpen();
    const id = g?._id as string;
    const run = (line: string) => t.bot.router.handle({ subject: { id: 'fake:U1' }, surface: 'fake', line });
    expect((await run(`ack ${id} --dry-run`)).reply.blocks[0]).toMatchObject({ text: `Would acknowledge alert ${id} (HighCPU) and update its message in fake:alerts. Risk: write. Nothing was done.` });
    expect((await run(`resolve ${id} --dry-run`)).reply.blocks[0]).toMatchObject({ text: expect.stringContaining(`Would mark alert ${id} (HighCPU) resolved`) });
    expect((await run(`silence ${id} 2h --dry-run`)).reply.blocks[0]).toMatchObject({ text: expect.stringContaining('Would create a silence in Alertmanager for 2h matching {alertname="HighCPU"}') });
    await settle();
    const after = await t.bot.alerts.find(id);
    expect(after.ackedAt).toBeUndefined();
    expect(after.open).toBe(true);
    expect(chat.calls).toHaveLength(1);
  });

  it('given bad alert ids and durations, then usage errors name the argument', async () => {
    const run = (line: string) => t.bot.router.handle({ subject: { id: 'fake:U1' }, surface: 'fake', line });
    expect((await run('ack ../../etc')).reply.blocks[0]).toMatchObject({ text: expect.stringContaining('alert: an alert id looks like a1b2') });
    expect((await run('silence abcd forever')).reply.blocks[0]).toMatchObject({ text: expect.stringContaining('duration: "forever" is not a silence duration') });
    expect((await run('ack abcd')).reply.blocks[0]).toMatchObject({ text: expect.stringContaining('No alert group abcd') });
    // The group is looked up first: RBAC checks the targets its labels name before anything runs
    expect((await run('silence abcd 1h')).reply.blocks[0]).toMatchObject({ text: expect.stringContaining('No alert group abcd') });
  });

  it('given a route to a surface that is not connected, then its delivery waits and /readyz says so', async () => {
    await send(payload({ alertname: 'DbDown', alerts: hosts(1), commonLabels: { team: 'db' } }));
    await t.bot.alerts.settled();
    await waitFor(() => chat.calls.length === 1, { what: 'the fake:db post' });
    expect(chat.calls[0]?.channel).toBe('db');
    // The route's configured @here travels as a mention (each surface renders its own ping), not as text
    expect(chat.calls[0]?.reply.mentions).toEqual([{ kind: 'here' }]);
    const ready = await waitFor(async () => {
      const res = await fetch(`${t.baseUrl}/readyz`);
      return res.status === 503 ? ((await res.json()) as { checks: Record<string, { reason?: string }> }) : undefined;
    }, { what: '/readyz to report the waiting delivery' });
    expect(ready.checks.outbox?.reason).toContain('deliveries to slack are waiting');
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/opsbot_outbox_depth\{surface="slack"\} 1/);
  });
});

describe('the embedded default: alerts on the console', () => {
  it('given no alerting config and the console surface, when Alertmanager posts, then the console prints the alert as it arrives', async () => {
    const t = await startTestBot({ yaml: 'bot: {}', console: true, env: { WEBHOOK_TOKEN: TOKEN } });
    try {
      const res = await fetch(`${t.baseUrl}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(payload({ alertname: 'NodeDown', alerts: hosts(1) })) });
      expect(res.status).toBe(200);
      const printed = await waitFor(() => (t.output().includes('[FIRING:1] NodeDown') ? t.output() : undefined), { what: 'the alert on the console' });
      expect(printed).toMatch(/#alerts \[msg \d+\]/);
      expect(printed).toMatch(/Actions: Acknowledge → `ack [0-9a-f]{4,}`/);
      // And the typed command works on it.
      const id = /ack ([0-9a-f]{4,})/.exec(printed)?.[1] as string;
      t.type(`ack ${id}`);
      await waitFor(() => t.output().includes('[ACKNOWLEDGED:1] NodeDown'), { what: 'the updated message' });
      expect(t.output()).toContain(`Acknowledged ${id}`);
    } finally {
      await t.stop();
    }
  });
});

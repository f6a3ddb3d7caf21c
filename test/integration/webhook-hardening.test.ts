/** The webhook edge under hostile payloads: nothing a caller sends can stop alert intake. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { ManualClock } from '../../src/core/clock.js';
import { INBOX_LOCK } from '../../src/core/alerts/processor.js';
import { createLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';

const TOKEN = 'hardening-webhook-token';
const YAML = `
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 100, per: 1s }
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    "fake:U1": [admin]
`;

const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('webhook intake that no payload can wedge', () => {
  let t: TestBot;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    t = await startTestBot({ yaml: YAML, env: { WEBHOOK_TOKEN: TOKEN }, extra: { clock, chatGateways: [new RecordingGateway('fake')] } });
  });
  afterEach(async () => {
    await t.stop();
  });

  const post = (body: string) => fetch(`${t.baseUrl}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body,
    signal: AbortSignal.timeout(5000),
  });

  it('given an extra field nested 10,000 arrays deep, when posted, then 400 naming the depth, and the next webhook is accepted', async () => {
    const ok = JSON.stringify(payload({ alerts: hosts(1) }));
    const evil = `${ok.slice(0, -1)},"extra":${deep(10_000)}}`;
    const bad = await post(evil);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_payload', field: 'extra' });
    const next = await post(JSON.stringify(payload({ alertname: 'Next', alerts: hosts(1) })));
    expect(next.status).toBe(200);
    expect(await t.bot.store.collection('alert_inbox').countDocuments() + await t.bot.store.collection('alert_groups').countDocuments()).toBeGreaterThan(0);
  });

  it.each([
    ['too many fields in a label set', () => payload({ alerts: hosts(1, { labels: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`l${i}`, 'v'])) }) }), 'alerts[0].labels'],
    ['too many entries in an extra array', () => ({ ...payload({ alerts: hosts(1) }), extra: Array.from({ length: 10_001 }, () => 0) }), 'extra'],
  ])('given %s, when posted, then 400 naming the field and nothing is stored', async (_name, body, field) => {
    const res = await post(JSON.stringify(body()));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_payload', field });
    expect(await t.bot.store.collection('alert_inbox').countDocuments()).toBe(0);
  });

  it('given accepted notifications that nobody applies (another replica holds the inbox lock and hangs), when two minutes pass, then /readyz answers 503 naming alert intake', async () => {
    const held = await t.bot.coordination.tryLock(INBOX_LOCK, 600_000);
    expect(held).toBeTruthy();
    expect((await post(JSON.stringify(payload({ alerts: hosts(1) })))).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
    clock.advance(121_000);
    const res = await fetch(`${t.baseUrl}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.json() as { checks: Record<string, { ready: boolean; reason?: string }> };
    expect(body.checks['alert-intake']).toEqual({ ready: false, reason: expect.stringMatching(/oldest accepted Alertmanager notification has waited 12\ds/) as unknown as string });
    await held?.release();
  });

});

describe('error logs of a failed webhook', () => {
  it('given the store fails under a webhook, when it answers 500, then the log line carries the error class, message and stack', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'error', redactor: new Redactor([TOKEN]), destination: { write: (l: string) => { lines.push(l); } } });
    const t = await startTestBot({ yaml: YAML, env: { WEBHOOK_TOKEN: TOKEN }, extra: { log, chatGateways: [new RecordingGateway('fake')] } });
    try {
      await t.bot.alerts.init();
      await t.bot.store.close();
      const res = await fetch(`${t.baseUrl}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(payload({ alerts: hosts(1) })) });
      expect(res.status).toBe(500);
      // The reference is the request id: 12 hex digits, like an invocation id.
      expect(await res.json()).toMatchObject({ error: 'internal', message: expect.stringMatching(/\(reference [0-9a-f]{12}\)/) as unknown as string });
      const line = lines.map((l) => JSON.parse(l) as { msg: string; err?: { type: string; message: string; stack: string } }).find((l) => l.msg === 'alertmanager webhook failed');
      expect(line?.err).toEqual({ type: expect.any(String), message: expect.stringMatching(/\S/), stack: expect.stringContaining('at ') });
    } finally {
      await t.stop().catch(() => undefined);
    }
  });
});

describe('webhooks without a WEBHOOK_TOKEN', () => {
  const capture = () => {
    const lines: { level: number; msg: string }[] = [];
    return { lines, log: createLogger({ level: 'warn', redactor: new Redactor(), destination: { write: (l: string) => { lines.push(JSON.parse(l) as { level: number; msg: string }); } } }) };
  };
  const post = (t: TestBot) => fetch(`${t.baseUrl}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload({ alerts: hosts(1) })) });

  it('given no token, when the bot starts, then it warns once and answers each webhook 401 webhook_token_required, storing nothing', async () => {
    const { lines, log } = capture();
    const t = await startTestBot({ yaml: YAML, extra: { log, chatGateways: [new RecordingGateway('fake')] } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await post(t);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'webhook_token_required', message: expect.stringContaining('WEBHOOK_TOKEN') as unknown as string });
      }
      expect(lines.filter((l) => l.msg.includes('WEBHOOK_TOKEN is not set'))).toHaveLength(1);
      expect(await t.bot.store.collection('alert_inbox').countDocuments()).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('given no token and alerting.allowUnauthenticated: true, then webhooks are accepted, with a warning', async () => {
    const { lines, log } = capture();
    const t = await startTestBot({ yaml: YAML.replace('alerting:\n', 'alerting:\n  allowUnauthenticated: true\n'), extra: { log, chatGateways: [new RecordingGateway('fake')] } });
    try {
      expect((await post(t)).status).toBe(200);
      expect(lines.filter((l) => l.msg.includes('allowUnauthenticated is true'))).toHaveLength(1);
    } finally {
      await t.stop();
    }
  });
});

/**
 * Fuzzing the Alertmanager webhook edge of a real bot over HTTP: arbitrary JSON, deep and wide
 * structures, wrong types in every field, huge strings, broken bodies. Every answer is 2xx or 4xx,
 * never 5xx, and after each fuzzed request a valid webhook is still accepted (intake never sticks).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { hosts, payload } from '../support/alert-payloads.js';

const TOKEN = 'fuzz-webhook-token';
const YAML = `
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 1000, per: 1s }
  bodyLimit: 256kb
`;

describe('webhook edge under arbitrary payloads (real bot, real HTTP)', () => {
  let t: TestBot;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestBot({ yaml: YAML, env: { WEBHOOK_TOKEN: TOKEN }, extra: { chatGateways: [new RecordingGateway('fake')] } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function post(body: string | Buffer, contentType = 'application/json'): Promise<number> {
    const res = await fetch(`${t.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${TOKEN}` },
      body,
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** The fuzzed request answers 2xx/4xx, and a fresh valid notification is accepted right after. */
  async function survives(body: string | Buffer, contentType?: string): Promise<void> {
    const status = await post(body, contentType);
    expect(status).toBeGreaterThanOrEqual(200);
    expect(status).toBeLessThan(500);
    expect(status).not.toBe(404);
    const next = await post(JSON.stringify(payload({ alertname: `Still${++seq}`, alerts: hosts(1) })));
    expect(next).toBe(200);
  }

  const valid = () => payload({ alertname: 'Fuzz', alerts: hosts(2) }) as unknown as Record<string, unknown>;
  const FIELDS = ['version', 'groupKey', 'truncatedAlerts', 'status', 'receiver', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'alerts'];
  const ALERT_FIELDS = ['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint'];

  it('given arbitrary JSON values as the body, then never a 5xx and intake keeps going', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (v) => {
      await survives(JSON.stringify(v));
    }), { numRuns: 60 });
  });

  it('given a valid payload with one field (top level or in an alert) replaced by anything, then never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...FIELDS), fc.constantFrom(...ALERT_FIELDS), fc.boolean(), fc.jsonValue({ maxDepth: 4 }), async (field, alertField, inAlert, v) => {
      const body = valid();
      if (inAlert) ((body.alerts as Record<string, unknown>[])[0] as Record<string, unknown>)[alertField] = v;
      else body[field] = v;
      await survives(JSON.stringify(body));
    }), { numRuns: 80 });
  });

  it('given deep, wide and huge extra fields and labels, then 400 or 200, never a 5xx', async () => {
    const shapes = fc.oneof(
      fc.integer({ min: 1, max: 50_000 }).map((n) => ({ raw: `${'['.repeat(n)}${']'.repeat(n)}` })),
      fc.integer({ min: 1, max: 20_000 }).map((n) => ({ raw: `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` })),
      fc.integer({ min: 1, max: 20_000 }).map((n) => ({ value: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) })),
      fc.integer({ min: 1, max: 30_000 }).map((n) => ({ value: Array.from({ length: n }, () => 0) })),
      fc.integer({ min: 1, max: 200_000 }).map((n) => ({ value: 'x'.repeat(n) })),
      fc.integer({ min: 1, max: 3000 }).map((n) => ({ labels: Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v'.repeat(i % 50)])) })),
      fc.integer({ min: 1, max: 5000 }).map((n) => ({ labelName: 'n'.repeat(n) })),
      fc.integer({ min: 1, max: 3000 }).map((n) => ({ alerts: n })),
    );
    await fc.assert(fc.asyncProperty(shapes, fc.constantFrom('extra', 'groupLabels', 'alerts'), async (shape, where) => {
      const body = valid();
      let text: string;
      if ('raw' in shape) text = `${JSON.stringify(body).slice(0, -1)},"${where === 'alerts' ? 'extra' : where}":${shape.raw}}`;
      else {
        if ('value' in shape) body[where === 'alerts' ? 'extra' : where] = shape.value;
        if ('labels' in shape) ((body.alerts as Record<string, unknown>[])[0] as Record<string, unknown>).labels = shape.labels;
        if ('labelName' in shape) body.commonLabels = { [shape.labelName]: 'v' };
        if ('alerts' in shape) body.alerts = Array.from({ length: shape.alerts }, (_, i) => ({ ...((valid().alerts as object[])[0] as object), fingerprint: `f${i}` }));
        text = JSON.stringify(body);
      }
      await survives(text);
    }), { numRuns: 40 });
  });

  it('given broken bodies (truncated JSON, bytes, other content types), then never a 5xx', async () => {
    const good = JSON.stringify(valid());
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.nat({ max: good.length }).map((n) => ({ body: good.slice(0, n) as string | Buffer, type: 'application/json' })),
      fc.uint8Array({ maxLength: 500 }).map((b) => ({ body: Buffer.from(b) as string | Buffer, type: 'application/json' })),
      fc.string({ maxLength: 200 }).map((s) => ({ body: s as string | Buffer, type: 'application/json' })),
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data', 'application/octet-stream').map((type) => ({ body: good as string | Buffer, type })),
    ), async ({ body, type }) => {
      await survives(body, type);
    }), { numRuns: 60 });
  });
});

/**
 * The README's table of answers of `POST /webhooks/alertmanager`: a request without a
 * Content-Type is 415 `unsupported_media_type`, and nothing is stored from it (the same body
 * sent afterwards as JSON is new, not a duplicate).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';

const TOKEN = 'content-type-test-token';
let t: TestBot;

const payload = JSON.stringify({
  version: '4', groupKey: '{}:{alertname="NoType"}', truncatedAlerts: 0, status: 'firing', receiver: 'opsbot',
  groupLabels: { alertname: 'NoType' }, commonLabels: { alertname: 'NoType' }, commonAnnotations: {}, externalURL: 'http://am',
  alerts: [{ status: 'firing', labels: { alertname: 'NoType' }, annotations: {}, startsAt: '2026-12-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: 'f-notype' }],
});

beforeAll(async () => { t = await startTestBot({ yaml: 'targets: {}\n', env: { WEBHOOK_TOKEN: TOKEN } }); }, 30_000);
afterAll(async () => { await t?.stop(); });

describe('POST /webhooks/alertmanager without a Content-Type', () => {
  it('given no Content-Type, then 415 unsupported_media_type, and the same body as JSON is then accepted as new', async () => {
    const url = `${t.baseUrl}/webhooks/alertmanager`;
    const bare = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: new Blob([payload]) });
    expect(bare.status).toBe(415);
    expect(await bare.json()).toMatchObject({ error: 'unsupported_media_type' });
    const json = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: payload });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ status: 'accepted' });
  });
});

/** SlackWeb.respond: response_url posts over node:http against a real local server, under the delivery retry policy. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { SlackWeb } from '../../src/bot/adapters/slack/web.js';
import { ChatDeliveryError } from '../../src/core/chat.js';

interface Seen { method: string; type: string | undefined; body: unknown }
type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

describe('SlackWeb.respond (response_url posts)', () => {
  let server: http.Server;
  let base = '';
  const seen: Seen[] = [];
  let answers: Answer[] = [];
  const web = new SlackWeb({ token: 'xoxb-test', log: pino({ level: 'silent' }), policy: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 300 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => { raw += d.toString(); });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', type: req.headers['content-type'], body: JSON.parse(raw || 'null') });
        const a = answers.shift() ?? { status: 200, body: 'ok' };
        if (a === 'hang') return;
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => { seen.length = 0; answers = []; });

  afterAll(async () => {
    web.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('given a response_url that answers 200, when a reply is posted, then it arrives once as JSON', async () => {
    await web.respond(`${base}/response/a`, { response_type: 'ephemeral', text: 'héllo <@U1>' });
    expect(seen).toEqual([{ method: 'POST', type: 'application/json; charset=utf-8', body: { response_type: 'ephemeral', text: 'héllo <@U1>' } }]);
  });

  it('given a 500 and then a 429 with Retry-After 0, when a reply is posted, then it is tried again until it gets through', async () => {
    answers = [{ status: 500, body: 'boom' }, { status: 429, headers: { 'retry-after': '0' } }];
    await web.respond(`${base}/response/b`, { text: 'again' });
    expect(seen).toHaveLength(3);
  });

  it('given a 404, when a reply is posted, then it fails at once with the status and the start of the answer', async () => {
    answers = [{ status: 404, body: 'no_active_hooks' }];
    const err = await web.respond(`${base}/response/c`, { text: 'gone' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatDeliveryError);
    expect(err).toMatchObject({ code: 404, message: 'response_url: HTTP 404 no_active_hooks' });
    expect(seen).toHaveLength(1);
  });

  it('given a response_url that never answers, when a reply is posted, then each try times out and it fails as a request error', async () => {
    answers = ['hang', 'hang', 'hang'];
    const err = await web.respond(`${base}/response/d`, { text: 'slow' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'request_error' });
    expect(seen).toHaveLength(3);
  });

  it('given a URL that is not http(s), when a reply is posted, then nothing is sent', async () => {
    await expect(web.respond('file:///etc/passwd', { text: 'x' })).rejects.toMatchObject({ code: 'invalid_response_url' });
    expect(seen).toHaveLength(0);
  });
});

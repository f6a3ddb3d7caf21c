/**
 * One JSON POST over node:http / node:https with keep-alive agents: what a response_url post
 * needs (status, a bit of the body, Retry-After). About a quarter of `fetch`'s CPU per post
 * (undici's WHATWG layers), which counts when a burst of commands is answered through the
 * response_url.
 */
import http from 'node:http';
import https from 'node:https';

export interface PostedJson {
  status: number;
  /** The start of the answer's body (at most MAX_BODY characters). */
  text: string;
  retryAfter: string | null;
}

/** Enough of an error answer for a log line; the rest is read and dropped. */
const MAX_BODY = 2_000;

export class JsonPoster {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };

  /** POSTs `body` as JSON; rejects on a network error or when `timeoutMs` passes first. */
  post(url: string, body: unknown, timeoutMs: number): Promise<PostedJson> {
    const target = new URL(url);
    const protocol = target.protocol;
    if (protocol !== 'http:' && protocol !== 'https:') return Promise.reject(new Error(`not an http(s) URL: ${protocol}`));
    const payload = JSON.stringify(body);
    const request = protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(target, {
        method: 'POST',
        agent: this.agents[protocol],
        signal: AbortSignal.timeout(timeoutMs),
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { if (text.length < MAX_BODY) text += chunk.slice(0, MAX_BODY - text.length); });
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, text, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

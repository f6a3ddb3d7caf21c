/**
 * A recording stand-in for Alertmanager's API v2 `GET /api/v2/alerts` on loopback: serves the
 * alerts it is given (applying `active`, `silenced` and `inhibited` like Alertmanager does) and
 * records every request it was sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInAlert {
  labels: Record<string, string>;
  state?: 'active' | 'suppressed' | 'unprocessed';
  silencedBy?: string[];
  inhibitedBy?: string[];
}

export interface AlertmanagerApiStandIn {
  url: string;
  requests: { path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders }[];
  alerts: StandInAlert[];
  /** Answer every request with this status instead (errors). */
  failWith?: number;
  /** Delay before answering (timeouts). */
  delayMs?: number;
  stop(): Promise<void>;
}

export async function startAlertmanagerApi(): Promise<AlertmanagerApiStandIn> {
  const state: AlertmanagerApiStandIn = { url: '', requests: [], alerts: [], stop: async () => undefined };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    state.requests.push({ path: u.pathname, query: u.searchParams, headers: req.headers });
    const answer = () => {
      if (state.failWith) {
        res.writeHead(state.failWith, { 'content-type': 'text/plain' }).end('upstream broke');
        return;
      }
      if (req.method !== 'GET' || u.pathname !== '/api/v2/alerts') {
        res.writeHead(404).end('not found');
        return;
      }
      const silencedOk = u.searchParams.get('silenced') !== 'false';
      const inhibitedOk = u.searchParams.get('inhibited') !== 'false';
      const out = state.alerts
        .filter((a) => silencedOk || !(a.silencedBy?.length))
        .filter((a) => inhibitedOk || !(a.inhibitedBy?.length))
        .map((a) => ({
          labels: a.labels,
          annotations: {},
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          fingerprint: Object.values(a.labels).join('-'),
          receivers: [{ name: 'default' }],
          status: { state: a.state ?? (a.silencedBy?.length || a.inhibitedBy?.length ? 'suppressed' : 'active'), silencedBy: a.silencedBy ?? [], inhibitedBy: a.inhibitedBy ?? [] },
        }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    };
    if (state.delayMs) setTimeout(answer, state.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return state;
}

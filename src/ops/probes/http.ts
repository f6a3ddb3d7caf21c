/** HTTP probe: expected status, optional JSON fields by dotted path, optional latency ceiling. */
import type { z } from 'zod';
import type { httpProbeSchema } from '../../config/schema.js';
import { displayUrl } from '../connection-url.js';
import { skipSelfCheck, type Probe } from './types.js';

export type HttpProbeConfig = z.infer<typeof httpProbeSchema>;

export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `http://user:pw@host/x` → `http://host/x` with `Authorization: Basic …` (unless the check sets one). */
function withBasicAuth(raw: string, headers: Record<string, string> | undefined): { url: string; headers: Record<string, string> } {
  const out = { ...headers };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { url: raw, headers: out };
  }
  if (url.username || url.password) {
    if (!Object.keys(out).some((h) => h.toLowerCase() === 'authorization')) {
      out.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
  }
  return { url: url.toString(), headers: out };
}

export const httpProbe: Probe<HttpProbeConfig> = async (cfg, ctx) => {
  const skipped = skipSelfCheck(cfg, ctx);
  if (skipped) return skipped;
  const started = performance.now();
  // Details name the URL without credentials and query (tokens live there); credentials become a Basic header (fetch refuses them in the URL).
  const where = `${cfg.method} ${displayUrl(cfg.url)}`;
  let res: Response;
  try {
    const { url, headers } = withBasicAuth(cfg.url, cfg.headers);
    res = await fetch(url, { method: cfg.method, headers, signal: ctx.signal, redirect: 'manual' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    // The network error's code or cause; fetch's own messages about a bad request quote URLs and header values.
    const why = ctx.signal.aborted ? `no answer within ${ctx.timeoutMs}ms` : cause?.code ?? cause?.message ?? (e instanceof TypeError ? 'the request could not be built (check the URL and headers)' : (e as Error).message);
    return { status: 'fail', detail: `${where}: ${why}` };
  }
  const body = cfg.json ? await res.text().catch(() => '') : (await res.arrayBuffer().catch(() => undefined), '');
  const ms = Math.round(performance.now() - started);
  const data = { httpStatus: res.status, latencyMs: ms };
  if (res.status !== cfg.expectStatus) {
    return { status: 'fail', detail: `HTTP ${res.status} (expected ${cfg.expectStatus}) in ${ms}ms`, data };
  }
  const notes: string[] = [];
  if (cfg.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { status: 'fail', detail: `HTTP ${res.status} but the body is not JSON`, data };
    }
    for (const [path, want] of Object.entries(cfg.json)) {
      const got = getPath(parsed, path);
      if (got !== want && String(got) !== String(want)) {
        return { status: 'fail', detail: `${path} is ${JSON.stringify(got)} (expected ${JSON.stringify(want)})`, data };
      }
      notes.push(`${path}=${String(got)}`);
    }
  }
  if (cfg.maxLatency !== undefined && ms > cfg.maxLatency) {
    return { status: 'warn', detail: `HTTP ${res.status} in ${ms}ms, slower than ${cfg.maxLatency}ms`, data };
  }
  return { status: 'ok', detail: `HTTP ${res.status} in ${ms}ms${notes.length ? `, ${notes.join(', ')}` : ''}`, data };
};

/** HTTP probe: expected status, optional JSON fields by dotted path, optional latency ceiling. */
import type { z } from 'zod';
import type { httpProbeSchema } from '../../config/schema.js';
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

export const httpProbe: Probe<HttpProbeConfig> = async (cfg, ctx) => {
  const skipped = skipSelfCheck(cfg, ctx);
  if (skipped) return skipped;
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(cfg.url, { method: cfg.method, headers: cfg.headers, signal: ctx.signal, redirect: 'manual' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = ctx.signal.aborted ? `no answer within ${ctx.timeoutMs}ms` : cause?.code ?? cause?.message ?? (e as Error).message;
    return { status: 'fail', detail: `${cfg.method} ${cfg.url}: ${why}` };
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

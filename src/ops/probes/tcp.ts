/** TCP probe: can a connection be opened? */
import net from 'node:net';
import type { z } from 'zod';
import type { tcpProbeSchema } from '../../config/schema.js';
import { skipSelfCheck, type Probe } from './types.js';

export const tcpProbe: Probe<z.infer<typeof tcpProbeSchema>> = (cfg, ctx) => {
  const skipped = skipSelfCheck(cfg, ctx);
  if (skipped) return Promise.resolve(skipped);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: cfg.host, port: cfg.port });
    const done = (ok: boolean, why: string) => {
      socket.destroy();
      ctx.signal.removeEventListener('abort', onAbort);
      const ms = Math.round(performance.now() - started);
      resolve(ok
        ? { status: 'ok', detail: `${cfg.host}:${cfg.port} open in ${ms}ms`, data: { latencyMs: ms } }
        : { status: 'fail', detail: `${cfg.host}:${cfg.port} ${why}` });
    };
    const onAbort = () => done(false, `no answer within ${ctx.timeoutMs}ms`);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(true, ''));
    socket.once('error', (e: NodeJS.ErrnoException) => done(false, e.code === 'ECONNREFUSED' ? 'refused the connection' : (e.code ?? e.message)));
  });
};

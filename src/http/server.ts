/**
 * The bot's HTTP server (Fastify): liveness, readiness, Prometheus metrics, and the routes other
 * parts plug in (Alertmanager webhooks, the Slack receiver).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../core/metrics.js';
import { randomUUID } from 'node:crypto';

export interface ReadinessCheck {
  name: string;
  /** Undefined when ready, otherwise the reason. */
  check(): Promise<string | undefined> | string | undefined;
}

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  plugins?: FastifyPluginAsync[];
  bodyLimit?: number;
}

/**
 * A request id like an invocation id (12 random hex characters), from randomUUID's buffered
 * entropy: the first 12 hex digits of a version 4 UUID are random, and this costs no system call
 * per request (randomBytes does).
 */
export function newRequestId(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(9, 13);
}

/** How often, while closing, connections that finished their request are closed. */
const CLOSING_SWEEP_MS = 50;

/**
 * `close()` waits for every connection to end. Fastify closes the idle ones when close starts and
 * answers new requests 503 with `Connection: close`, but a request in flight at that moment is
 * answered keep-alive, and a client that then holds the socket idle (Alertmanager's and undici's
 * pools do) kept the server open for the whole keep-alive timeout (72 s): a SIGTERM under load
 * ran into the shutdown deadline and exited 1. While closing, responses say `Connection: close`
 * and connections left idle are closed as soon as their request is done.
 */
function closeKeptAliveConnectionsOnClose(app: FastifyInstance): void {
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    sweep = setInterval(() => app.server.closeIdleConnections(), CLOSING_SWEEP_MS);
    sweep.unref();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (sweep) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', async () => clearInterval(sweep));
}

export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: newRequestId,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: 'idle',
  });

  closeKeptAliveConnectionsOnClose(app);

  // A callback hook (no promise per request), and nothing built when the line would not be written (req.log is a pino child of opts.log).
  app.addHook('onResponse', (req, reply, done) => {
    if (req.url !== '/healthz' && req.url !== '/metrics' && (req.log as unknown as Logger).isLevelEnabled('info')) {
      req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http');
    }
    done();
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(opts.readiness.map(async (r) => {
      let reason: string | undefined;
      try {
        reason = await r.check();
      } catch (e) {
        reason = (e as Error).message;
      }
      return [r.name, reason ? { ready: false, reason } : { ready: true }] as const;
    }));
    const ready = results.every(([, r]) => r.ready);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });

  for (const plugin of opts.plugins ?? []) await app.register(plugin);
  return app;
}

/**
 * Slack's HTTP mode on the bot's own Fastify server: a Fastify plugin serving `POST /slack/events`
 * and a Bolt `Receiver` that hands each verified request to the Bolt App. A request is only
 * parsed and dispatched after its signature and timestamp check out: 401 for a bad, missing or
 * stale signature, 400 for a content type Slack never sends or an unreadable body.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { verifySlackSignature } from './signature.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Slack gives up after 3 s; answer an un-acked request just after that, as Bolt's own receivers do. */
const UNHANDLED_AFTER_MS = 3_001;

export interface FastifyReceiverOptions {
  signingSecret: string;
  log: Logger;
  path?: string;
  /** For tests of clock skew. */
  now?: () => number;
  onRejected?: (reason: string) => void;
}

type Body = Record<string, unknown>;

function parseBody(contentType: string, raw: string): Body | undefined {
  try {
    if (contentType.startsWith('application/json')) {
      const v: unknown = JSON.parse(raw);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined;
    }
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (typeof form.payload === 'string') {
      const v: unknown = JSON.parse(form.payload);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined;
    }
    return form;
  } catch {
    return undefined;
  }
}

export class FastifySlackReceiver implements Receiver {
  private app: App | undefined;
  readonly path: string;

  constructor(private readonly opts: FastifyReceiverOptions) {
    this.path = opts.path ?? SLACK_EVENTS_PATH;
  }

  init(app: App): void {
    this.app = app;
  }

  /** The HTTP server belongs to the bot; nothing to start or stop here. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.app = undefined;
  }

  /** The Fastify plugin serving the events path, to pass in the HTTP server's `plugins`. */
  plugin(): FastifyPluginAsync {
    return async (fastify) => {
      // Keep the raw body: the signature covers the exact bytes. Everything else is refused below.
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      fastify.post(this.path, async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const header = (name: string) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v[0] : v;
        };
        const problem = verifySlackSignature({
          secret: this.opts.signingSecret,
          signature: header('x-slack-signature'),
          timestamp: header('x-slack-request-timestamp'),
          rawBody: raw,
          ...(this.opts.now ? { nowMs: this.opts.now() } : {}),
        });
        if (problem) {
          req.log.warn({ reason: problem }, 'slack request refused');
          this.opts.onRejected?.(problem);
          return reply.code(401).send({ error: 'invalid signature' });
        }
        const contentType = (header('content-type') ?? '').toLowerCase();
        if (!contentType.startsWith('application/x-www-form-urlencoded') && !contentType.startsWith('application/json')) {
          this.opts.onRejected?.(`content type ${contentType || '(none)'}`);
          return reply.code(400).send({ error: 'content type must be application/x-www-form-urlencoded or application/json' });
        }
        const body = parseBody(contentType, raw);
        if (!body) {
          this.opts.onRejected?.('unreadable body');
          return reply.code(400).send({ error: 'unreadable body' });
        }
        if (body.ssl_check) return reply.code(200).send('');
        if (body.type === 'url_verification') return reply.code(200).send({ challenge: body.challenge });
        const app = this.app;
        if (!app) return reply.code(503).send({ error: 'slack surface not started' });
        return this.dispatch(app, body, reply, header('x-slack-retry-num'), header('x-slack-retry-reason'));
      });
    };
  }

  private dispatch(app: App, body: Body, reply: FastifyReply, retryNum?: string, retryReason?: string): Promise<FastifyReply> {
    return new Promise((resolve) => {
      let acked = false;
      const answer = (status: number, payload: unknown) => {
        if (acked) return false;
        acked = true;
        clearTimeout(timer);
        if (payload === undefined || payload === '') resolve(reply.code(status).send(''));
        else if (typeof payload === 'string') resolve(reply.code(status).type('text/plain; charset=utf-8').send(payload));
        else resolve(reply.code(status).send(payload));
        return true;
      };
      const timer = setTimeout(() => {
        if (answer(404, '')) this.opts.log.warn({ type: body.type }, 'slack request not acknowledged within 3s');
      }, UNHANDLED_AFTER_MS);
      const event: ReceiverEvent = {
        body,
        ...(retryNum ? { retryNum: Number(retryNum) } : {}),
        ...(retryReason ? { retryReason } : {}),
        ack: async (response?: unknown) => {
          if (!answer(200, response)) this.opts.log.debug('slack ack called twice');
        },
      };
      app.processEvent(event).then(
        () => { if (answer(404, '')) this.opts.log.debug({ type: body.type }, 'no listener acknowledged this slack request'); },
        (e: unknown) => {
          this.opts.log.error({ err: e }, 'slack event processing failed');
          answer(500, '');
        },
      );
    });
  }
}

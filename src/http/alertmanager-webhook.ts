/**
 * `POST /webhooks/alertmanager`: Alertmanager's webhook (payload version 4). Bearer token (401 before
 * the body is read; without a configured token every request is refused unless unauthenticated
 * webhooks are allowed explicitly), body limit (413), malformed JSON, a schema violation or a body
 * nested too deep or with too many fields (400 naming the field; the common case is checked by
 * payload-fast.ts, anything else and every error by the zod schema). An accepted notification is
 * persisted and answered at once; the work happens after (Alertmanager cancels slow receivers). Duplicates answer 200 and change nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { fieldPath, payloadShapeProblem, webhookPayloadSchema, type WebhookPayload } from '../core/alerts/payload.js';
import { fastWebhookPayload } from '../core/alerts/payload-fast.js';
import type { WebhookOutcome } from '../core/alerts/metrics.js';

export interface AlertmanagerWebhookOptions {
  receive(payload: WebhookPayload): Promise<'accepted' | 'duplicate'>;
  /** Required bearer token. */
  token?: string | undefined;
  /** Without a token: accept any caller (`alerting.allowUnauthenticated: true`), else answer 401 `webhook_token_required`. */
  allowUnauthenticated?: boolean;
  bodyLimit: number;
  count?: (outcome: WebhookOutcome) => void;
  path?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function alertmanagerWebhook(opts: AlertmanagerWebhookOptions): FastifyPluginAsync {
  const expected = opts.token ? digest(opts.token) : undefined;
  const count = opts.count ?? (() => undefined);
  return async (app) => {
    if (!expected) {
      app.log.warn(opts.allowUnauthenticated
        ? 'WEBHOOK_TOKEN is not set and alerting.allowUnauthenticated is true: anyone who reaches this port can post alerts'
        : 'WEBHOOK_TOKEN is not set: every Alertmanager webhook is refused (401 webhook_token_required) until it is, or alerting.allowUnauthenticated is true');
    }
    app.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 413) {
        count('too_large');
        return reply.code(413).send({ error: 'payload_too_large', message: `The body is larger than ${opts.bodyLimit} bytes (alerting.bodyLimit)`, limit: opts.bodyLimit });
      }
      if (status === 415) {
        count('invalid');
        return reply.code(415).send({ error: 'unsupported_media_type', message: 'Send the payload as application/json' });
      }
      if (status >= 400 && status < 500) {
        count('invalid');
        return reply.code(400).send({ error: 'invalid_json', message: `The body is not valid JSON: ${err.message}` });
      }
      count('error');
      req.log.error({ err }, 'alertmanager webhook failed');
      return reply.code(500).send({ error: 'internal', message: `Could not accept the notification (reference ${req.id}); Alertmanager will retry` });
    });

    app.post(opts.path ?? '/webhooks/alertmanager', {
      bodyLimit: opts.bodyLimit,
      // A callback hook (no promise per webhook): an answered request ends here, an authorised one goes on with done().
      onRequest: (req, reply, done) => {
        if (!expected) {
          if (opts.allowUnauthenticated) return done();
          count('unauthorized');
          void reply.code(401).send({ error: 'webhook_token_required', message: 'This bot has no webhook token: set WEBHOOK_TOKEN (and the same bearer token in Alertmanager\'s http_config), or alerting.allowUnauthenticated: true' });
          return;
        }
        const header = req.headers.authorization ?? '';
        const m = /^Bearer\s+(.+)$/i.exec(header);
        if (!m || !timingSafeEqual(digest((m[1] as string).trim()), expected)) {
          count('unauthorized');
          void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: m ? 'Wrong bearer token' : 'Authorization: Bearer <token> is required' });
          return;
        }
        done();
      },
    }, async (req, reply) => {
      // Depth, field and entry counts are bounded before the schema runs and before anything is stored.
      const shape = payloadShapeProblem(req.body);
      if (shape) {
        count('invalid');
        return reply.code(400).send({ error: 'invalid_payload', field: shape.field, message: `${shape.field}: ${shape.message}`, issues: [shape] });
      }
      // The hand-written check takes the common case; whatever it is not sure of, zod decides (and words the error).
      const fast = fastWebhookPayload(req.body);
      const parsed = fast ? { success: true as const, data: fast } : webhookPayloadSchema.safeParse(req.body);
      if (!parsed.success) {
        count('invalid');
        const first = parsed.error.issues[0];
        const field = first ? fieldPath(first.path) : '(body)';
        return reply.code(400).send({
          error: 'invalid_payload',
          field,
          message: `${field}: ${first?.message ?? 'invalid'}`,
          issues: parsed.error.issues.slice(0, 20).map((i) => ({ field: fieldPath(i.path), message: i.message })),
        });
      }
      const outcome = await opts.receive(parsed.data);
      count(outcome);
      return reply.code(200).send({ status: outcome, groupKey: parsed.data.groupKey });
    });
  };
}

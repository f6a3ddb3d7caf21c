/**
 * A bot process for crash tests: the real webhook edge, alert service and outbox over the
 * embedded store in a data directory, posting to a chat API over HTTP. Prints one JSON line
 * `{"ready":true,"port":N}` on stdout when it listens.
 * Usage: WEBHOOK_TOKEN=… node --import tsx alert-pipeline-child.ts <dataDir> <chatUrl> <alerting-json>
 */
import Fastify from 'fastify';
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { Outbox } from '../../src/core/outbox/index.js';
import { AlertService } from '../../src/core/alerts/service.js';
import { alertingSchema } from '../../src/config/alerting.js';
import { alertmanagerWebhook } from '../../src/http/alertmanager-webhook.js';
import { HttpChatGateway } from './http-chat-gateway.js';

const [dataDir, chatUrl, alertingJson] = process.argv.slice(2) as [string, string, string];
const config = alertingSchema.parse(JSON.parse(alertingJson));
const log = pino({ level: process.env.CHILD_LOG_LEVEL ?? 'error' }, pino.destination(2));
const store = await EmbeddedStore.open(dataDir);
const coordination = new MemoryCoordination();
const outbox = new Outbox({ store, coordination, gateways: new Map([['chat', new HttpChatGateway('chat', chatUrl)]]), rate: config.rate, log, retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 } });
const alerts = new AlertService({ store, coordination, outbox, config, log });
const app = Fastify({ bodyLimit: config.bodyLimit });
await app.register(alertmanagerWebhook({ receive: (p) => alerts.receive(p), bodyLimit: config.bodyLimit, token: process.env.WEBHOOK_TOKEN }));
await outbox.start();
await alerts.start();
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
process.stdout.write(`${JSON.stringify({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);

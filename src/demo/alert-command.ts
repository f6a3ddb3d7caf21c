/**
 * `demo alert [--resolve]`, registered only by `opsbot demo`: posts a real Alertmanager webhook
 * (payload version 4) to the bot's own `POST /webhooks/alertmanager`, with the bearer token when
 * one is set, so the whole alert path runs — intake, grouping, routing, the message in
 * console:alerts, the escalation — and answers with the group's id and an Acknowledge button.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineCommand } from '../core/command.js';
import { UserError } from '../core/errors.js';
import { fields, type Reply } from '../core/reply.js';
import { DEMO_ALERT, DEMO_TARGET } from './config.js';

export interface DemoAlertDeps {
  /** The bot's webhook URL once it listens (undefined before). */
  webhookUrl: () => string | undefined;
  /** The bearer token the webhook requires, if any. */
  token?: string | undefined;
  /** The id of the open group of the demo alert, once the bot has taken it in. */
  openGroup: () => Promise<string | undefined>;
  /** How long to wait for the group to appear (default 5s). */
  waitMs?: number;
}

const ZERO = '0001-01-01T00:00:00Z';

/** The notification Alertmanager would send for the demo alert (firing, or resolved). */
export function demoAlertPayload(status: 'firing' | 'resolved', now: Date): Record<string, unknown> {
  const labels = { alertname: DEMO_ALERT, severity: 'critical', target: DEMO_TARGET, instance: '127.0.0.1' };
  const fingerprint = createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest('hex').slice(0, 16);
  return {
    version: '4',
    groupKey: `{}:{alertname="${DEMO_ALERT}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'opsbot',
    groupLabels: { alertname: DEMO_ALERT },
    commonLabels: labels,
    commonAnnotations: { summary: 'The shop logs errors: locked accounts and a payment timeout' },
    externalURL: 'http://alertmanager.demo:9093',
    alerts: [{
      status,
      labels,
      annotations: { summary: 'The shop logs errors: locked accounts and a payment timeout', description: `Try: logs ${DEMO_TARGET} --grep ERROR` },
      startsAt: new Date(now.getTime() - 60_000).toISOString(),
      endsAt: status === 'resolved' ? now.toISOString() : ZERO,
      generatorURL: 'http://prometheus.demo:9090/graph?g0.expr=rate(shop_errors_total[5m])%20%3E%200',
      fingerprint,
    }],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function demoAlertCommand(deps: DemoAlertDeps) {
  return defineCommand({
    name: 'demo alert',
    summary: 'Demo only: send a real Alertmanager webhook about the shop to this bot (--resolve: its resolved notification)',
    params: [{ name: 'resolve', kind: 'flag', type: 'boolean', description: 'send the resolved notification instead' }],
    schema: z.object({ resolve: z.boolean().default(false) }),
    risk: 'write',
    targetOf: () => DEMO_TARGET,
    describe: (args) => `POST a ${args.resolve ? 'resolved' : 'firing'} ${DEMO_ALERT} notification (Alertmanager webhook v4) to ${deps.webhookUrl() ?? 'the bot\'s /webhooks/alertmanager'}`,
    async run(ctx, args): Promise<Reply> {
      const url = deps.webhookUrl();
      if (!url) throw new UserError('unavailable', 'the bot is not serving HTTP yet: try again in a moment');
      const status = args.resolve ? 'resolved' : 'firing';
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(deps.token ? { authorization: `Bearer ${deps.token}` } : {}) },
          body: JSON.stringify(demoAlertPayload(status, new Date())),
          signal: ctx.signal,
        });
      } catch (e) {
        throw new UserError('unavailable', `POST ${url}: ${(e as Error).message}`);
      }
      const body = (await res.text()).slice(0, 300);
      if (!res.ok) throw new UserError('failed', `POST ${url} answered ${res.status}: ${body}`);
      if (args.resolve) {
        return { title: `Demo alert resolved: ${DEMO_ALERT}`, status: 'ok', blocks: [fields({ Webhook: `${url} → ${res.status}` })] };
      }
      const deadline = Date.now() + (deps.waitMs ?? 5000);
      let id = await deps.openGroup();
      while (!id && Date.now() < deadline && !ctx.signal.aborted) {
        await sleep(100);
        id = await deps.openGroup();
      }
      return {
        title: `Demo alert sent: ${DEMO_ALERT} on ${DEMO_TARGET}`,
        status: 'ok',
        blocks: [
          fields({ Webhook: `${url} → ${res.status}`, Group: id ?? 'not open yet (see `alerts`)', Channel: 'console:alerts' }),
          { type: 'text', text: id ? `Acknowledge it with \`ack ${id}\`; \`alerts ${id}\` shows it in full.` : 'List it with `alerts`, then `ack <id>`.' },
        ],
        ...(id ? { buttons: [{ label: 'Acknowledge', command: `ack ${id}`, style: 'primary' as const }] } : {}),
      };
    },
  });
}

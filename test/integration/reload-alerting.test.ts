/**
 * Reloading `alerting.storm`, `alerting.silenceButton` and `alerting.rate` in a real bot (the
 * webhook intake, the alert service, the outbox and a recording chat gateway): the next groups
 * are posted, stormed and spaced by the new settings, and new target labels decide which target
 * (and so which role) a group is about; the keys that stay restart-only are refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reloadingBot, type Reloading } from '../support/reloading-bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';
import { textReply } from '../../src/core/reply.js';

describe('reload of alerting settings: storm, Silence button and chat rate', () => {
  let r: Reloading;
  let chat: RecordingGateway;
  let n = 0;

  const config = (o: { storm?: string; silence?: string; rate?: string; labels?: string; extra?: string }) => `
targets:
  web: { environment: production }
rbac:
  roles:
    admin: { allow: ["*"] }
    webops: { allow: [alerts, ack], targets: [web] }
  subjects: { "console:op": [admin], "slack:U0WEB": [webops] }
alerting:
  targetLabels: ${o.labels ?? '[target, instance]'}
  defaultChannel: fake:alerts
  rate: ${o.rate ?? '{ messages: 100, per: 1s }'}
  storm: ${o.storm ?? '{ threshold: 100, window: 1m }'}
  silenceButton: ${o.silence ?? '1h'}
${o.extra ?? ''}
  routes:
    - { matchers: ['severity="critical"'], channels: [fake:page] }
`;
  /** Opens a new group on fake:page and waits until the alert service has processed it. */
  const fire = async (): Promise<string> => {
    const alertname = `Reload${++n}`;
    await r.t.bot.alerts.receive(payload({ alertname, alerts: [{ labels: { severity: 'critical', instance: `${alertname}-1` } }] }));
    await r.t.bot.alerts.settled();
    return alertname;
  };
  const postsTo = (channel: string) => chat.calls.filter((c) => c.op === 'post' && c.channel === channel);

  beforeAll(async () => {
    chat = new RecordingGateway('fake');
    r = await reloadingBot(config({}), { chatGateways: [chat] });
  }, 30_000);
  afterAll(async () => { await r?.cleanup(); });

  it('given the Silence button at 1h, when it is reloaded to 2h, then the next group message offers Silence 2h', async () => {
    const before = await fire();
    const first = await waitFor(() => postsTo('page').find((c) => c.reply.title.includes(before)), { what: 'the first group message' });
    expect(first.reply.buttons?.map((b) => b.label)).toContain('Silence 1h');

    expect(await r.reload(config({ silence: '2h' }))).toMatchObject({ outcome: 'applied', changed: ['alerting.silenceButton'] });
    const after = await fire();
    const second = await waitFor(() => postsTo('page').find((c) => c.reply.title.includes(after)), { what: 'the next group message' });
    expect(second.reply.buttons?.map((b) => b.label)).toContain('Silence 2h');
    expect(second.reply.buttons?.find((b) => b.label === 'Silence 2h')?.command).toMatch(/^silence \S+ 2h$/);
  });

  it('given a storm threshold of 100, when it is reloaded to 1, then the next new group on the channel goes into a digest', async () => {
    expect(await r.reload(config({ silence: '2h', storm: '{ threshold: 1, window: 1m }' }))).toMatchObject({ outcome: 'applied', changed: ['alerting.storm'] });
    const stormed = await fire();
    await waitFor(() => postsTo('page').some((c) => c.reply.title.startsWith('Alert storm digest')), { what: 'a storm digest on page' });
    expect(postsTo('page').some((c) => c.reply.title.includes(stormed) && !c.reply.title.startsWith('Alert storm digest'))).toBe(false);
  });

  it('given a chat rate of 100 per second, when it is reloaded to 1 per 1.5s, then messages to a channel are spaced by at least 1.5s', async () => {
    expect(await r.reload(config({ silence: '2h', storm: '{ threshold: 1, window: 1m }', rate: '{ messages: 1, per: 1500ms }' }))).toMatchObject({ outcome: 'applied', changed: ['alerting.rate'] });
    const from = chat.calls.length;
    await r.t.bot.outbox.enqueue('rated-one', 'fake:rated', textReply('one', 'info', 'one'));
    await r.t.bot.outbox.enqueue('rated-two', 'fake:rated', textReply('two', 'info', 'two'));
    const calls = await waitFor(() => {
      const sent = chat.calls.slice(from).filter((c) => c.channel === 'rated');
      return sent.length >= 2 ? sent : undefined;
    }, { what: 'two messages to rated', timeoutMs: 10_000 });
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_400);
  }, 20_000);

  it('given a group whose host label names web, when targetLabels is reloaded to include host, then a role limited to web may acknowledge it', async () => {
    const settled = { silence: '2h', storm: '{ threshold: 1, window: 1m }', rate: '{ messages: 1, per: 1500ms }' };
    await r.t.bot.alerts.receive(payload({ alertname: 'HostLabelled', alerts: [{ labels: { severity: 'warning', host: 'web' } }] }));
    await r.t.bot.alerts.settled();
    const id = await waitFor(async () => (await r.t.bot.alerts.listOpen()).find((g) => g.commonLabels.alertname === 'HostLabelled')?._id, { what: 'the group' });
    const webops = { id: 'slack:U0WEB', display: 'webops' };
    expect((await r.t.bot.router.handle({ subject: webops, surface: 'fake', line: `ack ${id}` })).outcome).toBe('denied');

    expect(await r.reload(config({ ...settled, labels: '[target, instance, host]' }))).toMatchObject({ outcome: 'applied', changed: ['alerting.targetLabels'] });
    const acked = await r.t.bot.router.handle({ subject: webops, surface: 'fake', line: `ack ${id}` });
    expect(acked.outcome).toBe('ok');
  });

  it('given an edit of the webhook body limit or the Alertmanager URL, then the reload is refused naming each', async () => {
    const result = await r.reload(config({
      silence: '2h', storm: '{ threshold: 1, window: 1m }', rate: '{ messages: 1, per: 1500ms }', labels: '[target, instance, host]',
      extra: '  bodyLimit: 2mb\n  alertmanagerUrl: http://127.0.0.1:9/',
    }));
    expect(result.outcome).toBe('refused');
    expect(result.problems).toEqual([expect.stringMatching(/^alerting\.bodyLimit, alerting\.alertmanagerUrl: cannot change while the bot runs; restart to apply/)]);
  });
});

/**
 * Real Alertmanager → the bot: `amtool alert add` gives one message, more alerts update it, the
 * alert ending resolves it in place, and the Silence button creates a real silence with the chat
 * user as its creator.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeWithServers, waitFor } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { ALERTMANAGER_BINARIES, startAlertmanager, type TestAlertmanager } from '../support/alertmanager.js';

const TOKEN = 'am-integration-token-42';

describeWithServers(ALERTMANAGER_BINARIES, 'Alertmanager webhooks into the bot (real prometheus-alertmanager + amtool)', () => {
  let bot: TestBot;
  let am: TestAlertmanager;
  let chat: RecordingGateway;
  let amUrl = '';

  beforeAll(async () => {
    chat = new RecordingGateway('fake');
    // The bot needs Alertmanager's URL and Alertmanager the bot's: start the bot with a placeholder
    // URL client, then point it at the started Alertmanager through the environment it reads.
    const { freePort } = await import('../support/servers.js');
    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    bot = await startTestBot({
      yaml: `
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 20, per: 1s }
rbac:
  roles:
    oncall: { allow: ["alerts", "ack", "resolve", "silence"] }
  subjects:
    "fake:U42": [oncall]
`,
      env: { WEBHOOK_TOKEN: TOKEN, ALERTMANAGER_URL: amUrl },
      extra: { chatGateways: [chat] },
    });
    am = await startAlertmanager({ webhookUrl: `${bot.baseUrl}/webhooks/alertmanager`, token: TOKEN, port: amPort });
  }, 60_000);

  afterAll(async () => {
    await am?.stop();
    await bot?.stop();
  });

  const messages = () => chat.topLevel().filter((m) => m.channel === 'alerts');

  it('given amtool adds an alert, then one message is posted', async () => {
    await am.amtool(['alert', 'add', 'alertname=DiskFull', 'instance=db-1', 'severity=critical', '--annotation=summary=Disk almost full on db-1']);
    const [msg] = await waitFor(() => (messages().length ? messages() : undefined), { timeoutMs: 20_000, what: 'the first message' });
    expect(messages()).toHaveLength(1);
    expect(msg?.reply.title).toBe('[FIRING:1] DiskFull');
    expect(JSON.stringify(msg?.reply.blocks)).toContain('Disk almost full on db-1');
  }, 30_000);

  it('given more alerts in the group, then the same message is updated', async () => {
    await am.amtool(['alert', 'add', 'alertname=DiskFull', 'instance=db-2', 'severity=critical', '--annotation=summary=Disk almost full on db-2']);
    await waitFor(() => messages()[0]?.reply.title === '[FIRING:2] DiskFull', { timeoutMs: 20_000, what: 'the message to show 2 firing' });
    expect(messages()).toHaveLength(1);
    expect(chat.calls.filter((c) => c.op === 'post' && !c.thread)).toHaveLength(1);
  }, 30_000);

  it('given the alerts end, then the message is resolved in place and a note goes in its thread', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    for (const inst of ['db-1', 'db-2']) {
      await am.amtool(['alert', 'add', 'alertname=DiskFull', `instance=${inst}`, 'severity=critical', `--annotation=summary=Disk almost full on ${inst}`, `--end=${past}`]);
    }
    await waitFor(() => messages()[0]?.reply.title === '[RESOLVED] DiskFull', { timeoutMs: 20_000, what: 'the message to resolve' });
    expect(messages()).toHaveLength(1);
    await waitFor(() => chat.threadReplies().length === 1, { timeoutMs: 5000, what: 'the thread note' });
    expect(chat.threadReplies()[0]?.thread).toBe(messages()[0]?.id);
  }, 30_000);

  it('given the Silence button is pressed by a chat user, then the silence exists in Alertmanager with that user as creator', async () => {
    await am.amtool(['alert', 'add', 'alertname=ApiSlow', 'instance=api-1', 'severity=warning']);
    const msg = await waitFor(() => messages().find((m) => m.reply.title.includes('ApiSlow')), { timeoutMs: 20_000, what: 'the ApiSlow message' });
    const silenceButton = msg.reply.buttons?.find((b) => b.label.startsWith('Silence'));
    expect(silenceButton?.command).toMatch(/^silence [0-9a-f]{4,} 1h$/);
    const r = await bot.bot.router.handle({ subject: { id: 'fake:U42', display: 'alice' }, surface: 'fake', line: silenceButton?.command as string });
    expect(r.outcome).toBe('ok');
    const out = await am.amtool(['silence', 'query', '-o', 'json']);
    const silences = JSON.parse(out) as { id: string; createdBy: string; matchers: { name: string; value: string }[]; status: { state: string } }[];
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ createdBy: 'alice', matchers: [{ name: 'alertname', value: 'ApiSlow' }], status: { state: 'active' } });
    const shown = await waitFor(() => messages().find((m) => m.id === msg.id && m.reply.title.startsWith('[SILENCED')), { timeoutMs: 10_000, what: 'the message to show silenced' });
    expect(JSON.stringify(shown.reply.blocks)).toContain('by alice');
  }, 30_000);

  it('given Alertmanager is down, then silence says so clearly and changes nothing', async () => {
    const msg = messages().find((m) => m.reply.title.includes('ApiSlow'));
    const id = /alert ([0-9a-f]+)/.exec(msg?.reply.footer ?? '')?.[1] as string;
    const before = await bot.bot.alerts.find(id);
    await am.process.stop();
    const r = await bot.bot.router.handle({ subject: { id: 'fake:U42', display: 'alice' }, surface: 'fake', line: `silence ${id} 2h maintenance` });
    expect(r.outcome).toBe('failed');
    expect(r.reply.blocks[0]).toMatchObject({ text: expect.stringContaining(`Alertmanager at ${amUrl} is unreachable`) });
    const g = await bot.bot.alerts.find(id);
    expect(g.silenceId).toBe(before.silenceId);
    expect(g.silencedUntil).toEqual(before.silencedUntil);
  }, 40_000);
});

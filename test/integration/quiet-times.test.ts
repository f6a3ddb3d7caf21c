/**
 * Quiet times against a real Alertmanager: `silence --match` before anything fires, `silences`,
 * `unsilence`, and a maintenance window that silences its target's alerts (by every label of
 * `alerting.targetLabels`), is announced in the channel, and ends on the bot's clock.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeWithServers, freePort, waitFor } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { ALERTMANAGER_BINARIES, startAlertmanager, type TestAlertmanager } from '../support/alertmanager.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Subject } from '../../src/core/command.js';

interface AmSilence { id: string; createdBy: string; comment: string; matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[]; status: { state: string } }
interface AmAlert { labels: Record<string, string>; status: { state: string; silencedBy: string[] } }

describeWithServers(ALERTMANAGER_BINARIES, 'Quiet times through a real Alertmanager', () => {
  let bot: TestBot;
  let am: TestAlertmanager;
  let chat: RecordingGateway;
  const clock = new ManualClock(Date.now());
  const admin: Subject = { id: 'fake:UADMIN', display: 'alice' };
  const dbOnly: Subject = { id: 'fake:UDB', display: 'dana' };
  const run = (subject: Subject, line: string) => bot.bot.router.handle({ subject, surface: 'fake', channel: 'ops', line });
  const silencesInAm = async () => (JSON.parse(await am.amtool(['silence', 'query', '-o', 'json'])) as AmSilence[]);
  const alertsInAm = async () => (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as AmAlert[];

  beforeAll(async () => {
    chat = new RecordingGateway('fake');
    const amPort = await freePort();
    bot = await startTestBot({
      yaml: `
targets:
  db: { environment: production }
  web: { environment: production }
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 50, per: 1s }
  targetLabels: [target, instance]
rbac:
  roles:
    admin: { allow: ["*"] }
    dbteam: { allow: ["silences", "unsilence", "silence match", "maintenance*"], targets: [db] }
  subjects:
    "fake:UADMIN": [admin]
    "fake:UDB": [dbteam]
`,
      env: { ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`, WEBHOOK_TOKEN: 'quiet-times-webhook-token' },
      extra: { chatGateways: [chat], clock },
    });
    am = await startAlertmanager({ webhookUrl: `${bot.baseUrl}/webhooks/alertmanager`, token: 'quiet-times-webhook-token', port: amPort });
  }, 60_000);

  afterAll(async () => {
    await am?.stop();
    await bot?.stop();
  });

  it('given silence --match before anything fires, then Alertmanager has that silence with the chat user as creator', async () => {
    const r = await run(admin, `silence --match 'alertname="DiskFull", instance=~"db.*"' 2h disk swap tonight`);
    expect(r.outcome).toBe('ok');
    const [s] = await silencesInAm();
    expect(s).toMatchObject({
      createdBy: 'alice', comment: 'disk swap tonight', status: { state: 'active' },
      matchers: expect.arrayContaining([
        { name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true },
        { name: 'instance', value: 'db.*', isRegex: true, isEqual: true },
      ]),
    });
  }, 30_000);

  it('given a bad matcher, then it is refused naming the problem and nothing is created', async () => {
    const r = await run(admin, `silence --match 'alertname~DiskFull' 1h`);
    expect(r.outcome).toBe('usage');
    expect(JSON.stringify(r.reply)).toContain('Invalid matcher');
    const empty = await run(admin, `silence --match 'alertname=~".*"' 1h`);
    expect(JSON.stringify(empty.reply)).toContain('must not match the empty string');
    expect(await silencesInAm()).toHaveLength(1);
  }, 30_000);

  it('given a role limited to db, then it may silence db but not a silence that names no target', async () => {
    const denied = await run(dbOnly, `silence --match 'alertname="DiskFull"' 1h`);
    expect(denied.outcome).toBe('denied');
    const ok = await run(dbOnly, `silence --match 'alertname="Slow", instance="db:9100"' 1h`);
    expect(ok.outcome).toBe('ok');
    expect(await silencesInAm()).toHaveLength(2);
  }, 30_000);

  it('given silences, then `silences` lists them within the caller\'s scope', async () => {
    const all = await run(admin, 'silences');
    expect(all.reply.title).toBe('Silences: 2');
    expect(JSON.stringify(all.reply)).toContain('alertname=\\"DiskFull\\"');
    const scoped = await run(dbOnly, 'silences');
    expect(scoped.reply.title).toBe('Silences: 1');
    expect(JSON.stringify(scoped.reply)).toContain('instance=\\"db:9100\\"');
    expect(JSON.stringify(scoped.reply)).toContain('1 silence hidden');
  }, 30_000);

  it('given `unsilence` with the short id, then the silence is expired in Alertmanager', async () => {
    const target = (await silencesInAm()).find((s) => s.matchers.some((m) => m.value === 'DiskFull' && m.isEqual && !m.isRegex) && s.matchers.length === 2) as AmSilence;
    expect((await run(dbOnly, `unsilence ${target.id.slice(0, 8)}`)).outcome).toBe('denied');
    const r = await run(admin, `unsilence ${target.id.slice(0, 8)}`);
    expect(r.outcome).toBe('ok');
    const after = (await silencesInAm()).map((s) => s.id);
    expect(after).not.toContain(target.id);
    expect((await run(admin, `unsilence ${target.id}`)).outcome).not.toBe('ok');
  }, 30_000);

  it('given maintenance on db, then alerts naming db by any target label are silenced and the channel is told', async () => {
    const r = await run(dbOnly, 'maintenance db 2h kernel upgrade');
    expect(r.outcome).toBe('ok');
    const id = /Maintenance (m[0-9a-f]+)/.exec(r.reply.title)?.[1] as string;
    const ours = (await silencesInAm()).filter((s) => s.comment.startsWith(`opsbot maintenance ${id}`));
    expect(ours.map((s) => s.matchers)).toEqual([
      [{ name: 'target', value: 'db(:.*)?', isRegex: true, isEqual: true }],
      [{ name: 'instance', value: 'db(:.*)?', isRegex: true, isEqual: true }],
    ]);
    await am.amtool(['alert', 'add', 'alertname=CpuHigh', 'instance=db:9100', 'severity=warning']);
    await am.amtool(['alert', 'add', 'alertname=CpuHigh', 'target=db', 'severity=warning']);
    await am.amtool(['alert', 'add', 'alertname=CpuHigh', 'instance=web:9100', 'severity=warning']);
    const alerts = await waitFor(async () => { const a = await alertsInAm(); return a.length === 3 && a.every((x) => x.status.state !== 'unprocessed') ? a : undefined; }, { timeoutMs: 10_000, what: 'three alerts' });
    const silencedByUs = (a: AmAlert) => a.status.silencedBy.some((s) => ours.some((o) => o.id === s));
    expect(alerts.filter(silencedByUs).map((a) => a.labels.instance ?? a.labels.target).sort()).toEqual(['db', 'db:9100']);
    const started = await waitFor(() => chat.topLevel().find((m) => m.channel === 'ops' && m.reply.title === 'Maintenance on db started'), { timeoutMs: 10_000, what: 'the start announcement' });
    expect(JSON.stringify(started.reply)).toContain('kernel upgrade');
    expect(await bot.bot.maintenance.windows.activeFor('db', clock.date())).toMatchObject({ id, target: 'db', by: 'dana', reason: 'kernel upgrade' });
    expect(await bot.bot.maintenance.windows.activeFor('web', clock.date())).toBeUndefined();
    expect((await run(dbOnly, 'maintenance web 1h')).outcome).toBe('denied');
  }, 40_000);

  it('given the window\'s time runs out on the bot\'s clock, then its silences expire and the end is announced once', async () => {
    const before = (await silencesInAm()).filter((s) => s.comment.startsWith('opsbot maintenance'));
    expect(before).toHaveLength(2);
    clock.advance(2 * 3_600_000);
    const ended = await waitFor(() => chat.topLevel().find((m) => m.channel === 'ops' && m.reply.title === 'Maintenance on db ended' && JSON.stringify(m.reply).includes('time ran out')), { timeoutMs: 10_000, what: 'the end announcement' });
    expect(ended).toBeDefined();
    await waitFor(async () => ((await silencesInAm()).some((s) => s.comment.startsWith('opsbot maintenance')) ? undefined : true), { timeoutMs: 10_000, what: 'the silences to expire' });
    expect(chat.topLevel().filter((m) => m.reply.title === 'Maintenance on db ended' && JSON.stringify(m.reply).includes('time ran out'))).toHaveLength(1);
    const list = await run(admin, 'maintenance list');
    expect(list.reply.title).toBe('Maintenance windows: 0 open');
    const audit = await bot.bot.audit.list({ limit: 20, command: 'maintenance.ended' });
    expect(audit).toHaveLength(1);
  }, 40_000);

  it('given `maintenance end`, then the window ends early and its silences expire', async () => {
    const r = await run(admin, 'maintenance web 1h');
    const id = /Maintenance (m[0-9a-f]+)/.exec(r.reply.title)?.[1] as string;
    expect((await silencesInAm()).filter((s) => s.comment.startsWith(`opsbot maintenance ${id}`))).toHaveLength(2);
    expect((await run(dbOnly, `maintenance end ${id}`)).outcome).toBe('denied');
    expect((await run(admin, `maintenance end ${id}`)).outcome).toBe('ok');
    expect((await silencesInAm()).filter((s) => s.comment.startsWith(`opsbot maintenance ${id}`))).toHaveLength(0);
    await waitFor(() => chat.topLevel().find((m) => JSON.stringify(m.reply).includes(`${id} on web ended early by alice`)), { timeoutMs: 10_000, what: 'the early end announcement' });
  }, 40_000);
});

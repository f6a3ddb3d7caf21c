/**
 * Escalation end to end with real servers: a real Alertmanager fires critical alerts into a real
 * bot; the on-call gets a direct message on the Slack stand-in (real Bolt, HTTP mode) and on the
 * Discord stand-in (real discord.js), the secondary after the (shortened) delay, a webhook step
 * reaches a loopback HTTP server and an e-mail step a real SMTP server (npm smtp-server); a typed
 * `ack` and the DM's Acknowledge button stop it, and the DMs lose their buttons. Then real bot
 * processes on one data folder (the SQLite store): a SIGKILL mid-escalation and a new process
 * fire the next step once, late, with a note; two processes fire each step once.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn, type ApiCall } from '../support/slack.js';
import { DiscordStandIn } from '../support/discord.js';
import { ALERTMANAGER_BINARIES, startAlertmanager, type TestAlertmanager } from '../support/alertmanager.js';
import { startSmtp, startWebhookSink, type TestSmtp, type TestWebhookSink } from '../support/smtp.js';
import { startBotProcess, type RunningBot } from '../support/process.js';

const DISCORD_TOKEN = 'discord-test-token.abc.def';
/** The bot refuses Alertmanager's webhooks without a token (WEBHOOK_TOKEN). */
const WEBHOOK_TOKEN = 'escalation-webhook-token-0123';
const PEOPLE = {
  alice: { slack: 'U0ALICE', discord: '700000000000000001' },
  bob: { slack: 'U0BOB', discord: '700000000000000002' },
  carol: { slack: 'U0CAROL', discord: '700000000000000003' },
} as const;
type Who = keyof typeof PEOPLE;

const text = (v: unknown) => JSON.stringify(v ?? '');
/** Slack DMs (chat.postMessage into the D-channel conversations.open gave) that mention `alertname`. */
const slackDms = (slack: SlackStandIn, who: Who, alertname: string): ApiCall[] =>
  slack.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${PEOPLE[who].slack}` && text(c.args.blocks).includes(alertname));

/** The Subject header of a raw message, unfolded, RFC 2047 Q-encoded words decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
  return header.replace(/\?=\r?\n[ \t]+=\?/g, '?==?').replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_m, q: string) => {
    const bytes = q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}

describeWithServers(ALERTMANAGER_BINARIES, 'Escalation with a real Alertmanager, Slack and Discord stand-ins, SMTP and a webhook', () => {
  let slack: SlackStandIn;
  let discord: DiscordStandIn;
  let smtp: TestSmtp;
  let hook: TestWebhookSink;
  let am: TestAlertmanager;
  let t: TestBot;
  let onCall: Who;
  let secondary: Who;

  beforeAll(async () => {
    [slack, discord, smtp, hook] = await Promise.all([
      startSlackStandIn(), DiscordStandIn.start({ token: DISCORD_TOKEN, heartbeatMs: 300 }), startSmtp(), startWebhookSink(),
    ]);
    const port = await freePort();
    const yaml = `
people:
  alice: { slack: ${PEOPLE.alice.slack}, discord: "${PEOPLE.alice.discord}", email: alice@example.com }
  bob: { slack: ${PEOPLE.bob.slack}, discord: "${PEOPLE.bob.discord}", email: bob@example.com }
  carol: { slack: ${PEOPLE.carol.slack}, discord: "${PEOPLE.carol.discord}" }
schedules:
  primary:
    timezone: Europe/Berlin
    layers: [ { people: [alice, bob], shift: 1w, handoff: "Mon 09:00", start: 2026-01-05 } ]
escalationPolicies:
  critical:
    steps:
      - { notify: [ { schedule: primary }, { webhook: "${hook.url}/page", headers: { x-team: ops } } ], delay: 3s }
      - { notify: [ { schedule: primary, layer: next }, { email: "oncall-pager@example.com" } ], delay: 2m }
      - { notify: [ { person: carol } ] }
oncall:
  email: { smtpUrl: "${smtp.url}", from: "opsbot@example.com" }
  tick: 200ms
alerting:
  rate: { messages: 100, per: 1s }
  routes:
    - { matchers: ['severity="critical"'], channels: [slack:C0PAGE], escalation: critical }
`;
    t = await startTestBot({ yaml, env: { PORT: String(port), WEBHOOK_TOKEN, ...slackEnv(slack), DISCORD_TOKEN, DISCORD_API_URL: discord.apiUrl } });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200, { what: 'bot ready', timeoutMs: 20_000 });
    am = await startAlertmanager({ webhookUrl: `${t.baseUrl}/webhooks/alertmanager`, token: WEBHOOK_TOKEN });
    const now = new Date();
    const reach = async (layer: string) => {
      const r = await t.bot.oncall.oncall.reach('primary', layer, now);
      if (!('person' in r)) throw new Error('nobody on call in the test schedule');
      return r.person as Who;
    };
    onCall = await reach('current');
    secondary = await reach('next');
  }, 60_000);

  afterAll(async () => {
    await am?.stop();
    await t?.stop();
    await Promise.all([slack?.close(), discord?.close(), smtp?.close(), hook?.close()]);
  });

  const groupOf = async (alertname: string) => waitFor(async () => (await t.bot.alerts.listOpen()).find((g) => g.commonLabels.alertname === alertname), { what: `group ${alertname}`, timeoutMs: 20_000 });

  it('pages the on-call on Slack and Discord at once and calls the webhook; the secondary and an e-mail after the delay; a typed ack stops it and updates the DMs', async () => {
    // Given a critical alert fired in Alertmanager
    await am.amtool(['alert', 'add', 'alertname=ApiDown', 'severity=critical', 'instance=api-1', '--annotation=summary=The API answers 503']);
    const g = await groupOf('ApiDown');
    // Then the on-call gets a direct message on Slack…
    const [dm] = await waitFor(() => { const d = slackDms(slack, onCall, 'ApiDown'); return d.length ? d : undefined; }, { what: 'Slack DM to the on-call', timeoutMs: 20_000 });
    expect(slack.callsTo('conversations.open').some((c) => c.args.users === PEOPLE[onCall].slack)).toBe(true);
    expect(text(dm?.args.blocks)).toContain('Paged: ApiDown');
    expect(text(dm?.args.blocks)).toContain(`ack ${g._id}`);
    expect(text(dm?.args.blocks)).toContain(`escalate ${g._id}`);
    // …and on Discord (DM channel opened for their user id), with the same buttons
    const discordDm = await waitFor(() => [...discord.messages.values()].find((m) => m.channel_id === `dm-${PEOPLE[onCall].discord}` && text(m.embeds).includes('ApiDown')), { what: 'Discord DM to the on-call', timeoutMs: 20_000 });
    expect(text(discordDm.components)).toContain('Acknowledge');
    expect(discord.calls('POST', /^\/users\/@me\/channels$/).some((r) => r.body?.recipient_id === PEOPLE[onCall].discord)).toBe(true);
    // The webhook step reached the loopback server, with its header
    const call = await waitFor(() => hook.requests.find((r) => r.path === '/page'), { what: 'webhook page' });
    expect(call.headers['x-team']).toBe('ops');
    expect(JSON.parse(call.body)).toMatchObject({ kind: 'opsbot.page', alert: { id: g._id, name: 'ApiDown', severity: 'critical' }, escalation: { policy: 'critical', step: 1, steps: 3 } });
    // The thread of the group message says who was paged
    await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0PAGE' && c.args.thread_ts && text(c.args.blocks).includes(`paged @${onCall}, webhook, step 1 of 3`)), { what: 'thread line' });
    const firstAt = dm?.at as number;

    // When the (shortened) 3s delay passes, then the secondary is paged on both surfaces and the e-mail goes out
    const [second] = await waitFor(() => { const d = slackDms(slack, secondary, 'ApiDown'); return d.length ? d : undefined; }, { what: 'Slack DM to the secondary', timeoutMs: 20_000 });
    expect((second?.at as number) - firstAt).toBeGreaterThanOrEqual(2_500);
    await waitFor(() => [...discord.messages.values()].find((m) => m.channel_id === `dm-${PEOPLE[secondary].discord}` && text(m.embeds).includes('ApiDown')), { what: 'Discord DM to the secondary' });
    const mail = await waitFor(() => smtp.mails.find((m) => m.to.includes('oncall-pager@example.com')), { what: 'e-mail page', timeoutMs: 20_000 });
    expect(mail.from).toBe('opsbot@example.com');
    expect(subjectOf(mail.raw)).toBe(`[critical] ApiDown (${g._id}) — step 2 of 3`);
    expect(mail.raw).toContain(`ack ${g._id}`);
    // The group message shows the escalation state: both paged, the next step and when
    const update = await waitFor(() => slack.callsTo('chat.update').filter((c) => c.args.channel === 'C0PAGE' && text(c.args.blocks).includes(`@${secondary} (step 2`)).pop(), { what: 'group message with the escalation state' });
    expect(text(update.args.blocks)).toContain(`@${onCall} (step 1`);
    expect(text(update.args.blocks)).toMatch(/next step 3 of 3 at \d{4}-\d\d-\d\dT/);

    // When the secondary types `ack` on Slack (no role: being paged grants it)
    const res = await slack.sendSlashCommand(t.baseUrl, { text: `ack ${g._id}`, userId: PEOPLE[secondary].slack, userName: secondary });
    expect(res.status).toBe(200);
    // Then the escalation stops at once, and every DM loses its buttons and says who acknowledged
    await waitFor(async () => (await t.bot.oncall.escalations.get(g._id))?.phase === 'stopped', { what: 'escalation stopped' });
    await waitFor(() => slack.callsTo('chat.update').filter((c) => String(c.args.channel).startsWith('D') && text(c.args.blocks).includes('Acknowledged: ApiDown')).length >= 2, { what: 'Slack DMs updated' });
    const updatedDm = slack.callsTo('chat.update').find((c) => c.args.channel === `D${PEOPLE[onCall].slack}` && c.args.ts === dm?.response?.ts);
    expect(text(updatedDm?.args.blocks)).toContain(`Acknowledged by @${secondary}`);
    expect(text(updatedDm?.args.blocks)).not.toContain('"value":"ack');
    await waitFor(() => [...discord.messages.values()].find((m) => m.channel_id === `dm-${PEOPLE[onCall].discord}` && text(m.embeds).includes('Acknowledged: ApiDown') && m.components.length === 0), { what: 'Discord DM updated' });
    await waitFor(() => slack.callsTo('chat.update').some((c) => c.args.channel === 'C0PAGE' && text(c.args.blocks).includes(`stopped, acknowledged by @${secondary}`)), { what: 'group message says stopped' });
    // and the manager (carol) is never paged
    expect(slackDms(slack, 'carol', 'ApiDown')).toEqual([]);
  }, 90_000);

  it('the Acknowledge button in the Slack DM stops the escalation before the secondary is paged', async () => {
    await am.amtool(['alert', 'add', 'alertname=DbDown', 'severity=critical', 'instance=db-1']);
    const g = await groupOf('DbDown');
    const [dm] = await waitFor(() => { const d = slackDms(slack, onCall, 'DbDown'); return d.length ? d : undefined; }, { what: 'Slack DM', timeoutMs: 20_000 });
    // When the on-call presses the DM's Acknowledge button (a DM carries no server roles)
    const button = /"value":"(ack [0-9a-f]+)"/.exec(text(dm?.args.blocks).replace(/\\"/g, '"'))?.[1];
    expect(button).toBe(`ack ${g._id}`);
    await slack.sendBlockAction(t.baseUrl, { value: button as string, userId: PEOPLE[onCall].slack, channelId: `D${PEOPLE[onCall].slack}`, messageTs: String(dm?.response?.ts) });
    // Then it is acknowledged by them, the escalation stops, and the secondary never gets a page for it
    await waitFor(async () => (await t.bot.alerts.find(g._id)).ackedAt !== undefined, { what: 'acknowledged' });
    await waitFor(async () => (await t.bot.oncall.escalations.get(g._id))?.phase === 'stopped', { what: 'escalation stopped' });
    await new Promise((r) => setTimeout(r, 4_000)); // past the 3s delay of step 2
    expect(slackDms(slack, secondary, 'DbDown')).toEqual([]);
    const audit = await t.bot.audit.list({ limit: 5, subject: `slack:${PEOPLE[onCall].slack}`, command: 'ack' });
    expect(audit[0]?.decision).toBe('allowed');
  }, 60_000);
});

describeWithServers(ALERTMANAGER_BINARIES, 'Escalation across real bot processes on one data folder', () => {
  let slack: SlackStandIn;
  let am: TestAlertmanager;
  let dir: { dir: string; cleanup: () => Promise<void> };
  const procs: RunningBot[] = [];
  let env: Record<string, string>;
  let ports: [number, number];
  let onCall: Who;
  let secondary: Who;

  const start = async (port: number) => {
    const p = startBotProcess(['start'], { ...env, PORT: String(port) });
    procs.push(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, { what: `bot process on ${port} ready`, timeoutMs: 40_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.stderr()}\n${p.stdout()}`);
    });
    return p;
  };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    dir = await tmpDir('opsbot-escal-proc-');
    ports = [await freePort(), await freePort()];
    await mkdir(path.join(dir.dir, 'data'));
    const config = path.join(dir.dir, 'opsbot.yaml');
    await writeFile(config, `
people:
  alice: { slack: ${PEOPLE.alice.slack} }
  bob: { slack: ${PEOPLE.bob.slack} }
  carol: { slack: ${PEOPLE.carol.slack} }
schedules:
  primary:
    timezone: Europe/Berlin
    layers: [ { people: [alice, bob], shift: 1w, handoff: "Mon 09:00", start: 2026-01-05 } ]
escalationPolicies:
  critical:
    steps:
      - { notify: [ { schedule: primary } ], delay: 4s }
      - { notify: [ { schedule: primary, layer: next } ], delay: 3s }
      - { notify: [ { person: carol } ] }
oncall:
  lateAfter: 1s
  tick: 200ms
alerting:
  rate: { messages: 100, per: 1s }
  routes:
    - { matchers: ['severity="critical"'], channels: [slack:C0PAGE], escalation: critical }
`);
    env = { OPSBOT_CONFIG: config, OPSBOT_DATA_DIR: path.join(dir.dir, 'data'), HOST: '127.0.0.1', LOG_LEVEL: 'warn', WEBHOOK_TOKEN, ...slackEnv(slack) };
    am = await startAlertmanager({ webhookUrl: `http://127.0.0.1:${ports[0]}/webhooks/alertmanager`, token: WEBHOOK_TOKEN });
    // Who the schedule answers now (the same maths the processes use)
    const { Schedule } = await import('../../src/core/oncall/schedule.js');
    const { oncallSections } = await import('../../src/config/oncall-schema.js');
    const s = new Schedule('primary', oncallSections.schedules.parse({ primary: { timezone: 'Europe/Berlin', layers: [{ people: ['alice', 'bob'], shift: '1w', handoff: 'Mon 09:00', start: '2026-01-05' }] } }).primary as never);
    onCall = s.at(Date.now(), []).person as Who;
    secondary = s.nextAt(Date.now(), []) as Who;
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await am?.stop();
    await slack?.close();
    await dir?.cleanup();
  });

  it('given a SIGKILL after the first step, when a new process starts after the second step was due, then it fires once, late, with a note', async () => {
    const first = await start(ports[0]);
    await am.amtool(['alert', 'add', 'alertname=CacheDown', 'severity=critical']);
    const [page] = await waitFor(() => { const d = slackDms(slack, onCall, 'CacheDown'); return d.length ? d : undefined; }, { what: 'first page', timeoutMs: 30_000 });
    const firedAt = page?.at as number;
    // The process dies (no shutdown) while step 2 waits for its 4s
    await first.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, Math.max(0, firedAt + 6_500 - Date.now())));
    expect(slackDms(slack, secondary, 'CacheDown')).toEqual([]);
    // When a new process starts on the same data folder (and port, so Alertmanager still reaches it)
    await start(ports[0]);
    // Then step 2 fires once, saying it is late
    const [late] = await waitFor(() => { const d = slackDms(slack, secondary, 'CacheDown'); return d.length ? d : undefined; }, { what: 'late page', timeoutMs: 30_000 });
    expect(text(late?.args.blocks)).toMatch(/Late by \d+(\.\d)?s: this step was due at .* while the bot was down/);
    await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0PAGE' && c.args.thread_ts && text(c.args.blocks).includes(`paged @${secondary}, step 2 of 3`) && text(c.args.blocks).includes('Late by')), { what: 'late thread line' });
    // and step 1 was not sent again
    expect(slackDms(slack, onCall, 'CacheDown')).toHaveLength(1);
    await waitFor(() => (slackDms(slack, 'carol', 'CacheDown').length ? true : undefined), { what: 'step 3', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slackDms(slack, secondary, 'CacheDown')).toHaveLength(1);
    expect(slackDms(slack, 'carol', 'CacheDown')).toHaveLength(1);
  }, 120_000);

  it('given two bot processes on one data folder, when an alert escalates, then each step fires once', async () => {
    // The process of the previous test serves ports[0]; a second one joins on the same data folder
    await start(ports[1]);
    await am.amtool(['alert', 'add', 'alertname=QueueStuck', 'severity=critical']);
    await waitFor(() => (slackDms(slack, 'carol', 'QueueStuck').length ? true : undefined), { what: 'all three steps', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(slackDms(slack, onCall, 'QueueStuck')).toHaveLength(1);
    expect(slackDms(slack, secondary, 'QueueStuck')).toHaveLength(1);
    expect(slackDms(slack, 'carol', 'QueueStuck')).toHaveLength(1);
    // and the group's thread has one line per step
    const groupTs = slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0PAGE' && !c.args.thread_ts && text(c.args.blocks).includes('QueueStuck'))?.response?.ts;
    expect(groupTs).toBeDefined();
    const lines = slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === groupTs).map((c) => /paged @\w+, step \d of 3/.exec(text(c.args.blocks))?.[0]);
    expect(lines).toEqual([`paged @${onCall}, step 1 of 3`, `paged @${secondary}, step 2 of 3`, 'paged @carol, step 3 of 3']);
  }, 120_000);
});

/**
 * A page whose direct message is refused falls back to a mention in the alert's channels, through
 * the real Slack (Bolt, HTTP mode) and Discord (discord.js) surfaces against their protocol-level
 * stand-ins, in one bot on a manual clock: a Discord member who blocks DMs from server members
 * (403, code 50007) and a Slack user whose DM is refused (`messages_tab_disabled`) are mentioned
 * in each route channel once, the step's thread line and the group message say the DM was
 * refused, it is audited, the second step still fires on time, a retryable 5xx on a DM is
 * retried rather than fallen back, and the refused person acknowledges from the channel.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { DiscordStandIn } from '../support/discord.js';
import { waitFor } from '../support/servers.js';
import { payload } from '../support/alert-payloads.js';
import { ManualClock } from '../../src/core/clock.js';
import { DirectMessageRefused } from '../../src/core/chat.js';

const TOKEN = 'discord-test-token.abc.def';
const MIN = 60_000;
const CAROL = { id: '700000000000000011', username: 'carol' };
const ERIN = { id: '700000000000000012', username: 'erin' };

const yaml = `
people:
  carol: { discord: "${CAROL.id}" }
  dave: { slack: U0DAVE }
  erin: { slack: U0ERIN, discord: "${ERIN.id}" }
escalationPolicies:
  critical:
    steps:
      - { notify: [ { person: carol }, { person: dave } ], delay: 10m }
      - { notify: [ { person: erin } ] }
oncall:
  fallbackChannel: slack:C0FALLBACK
alerting:
  rate: { messages: 100, per: 1s }
  routes:
    - { matchers: ['severity="critical"'], channels: [slack:C0ALERTS, discord:c-alerts], escalation: critical }
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    console:operator: [admin]
`;

const text = (v: unknown) => JSON.stringify(v ?? '');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a refused direct message falls back to a mention in the channel', () => {
  let slack: SlackStandIn;
  let discord: DiscordStandIn;
  let t: TestBot;
  let id = '';
  const clock = new ManualClock(Date.UTC(2026, 0, 7, 10, 0));

  /** Bot messages in a Discord channel (a thread is a channel of its own). */
  const discordIn = (channel: string): Json[] => [...discord.messages.values()].filter((m) => m.channel_id === channel);
  /** The POSTs of messages to a Discord channel, with what the bot sent. */
  const discordPosts = (channel: string) => discord.calls('POST', new RegExp(`^/channels/${channel}/messages$`)).filter((r) => r.status === 200);
  const slackPosts = (channel: string) => slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.status === 200 && c.response?.ok);
  const groupMessage = (): Json | undefined => discordIn('c-alerts').find((m) => text(m.embeds).includes('ApiDown') && !text(m.embeds).includes('Could not DM'));

  beforeAll(async () => {
    slack = await startSlackStandIn();
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300 });
    t = await startTestBot({ yaml, env: { ...slackEnv(slack), DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl }, extra: { clock } });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200, { what: 'readyz 200' });
  }, 30_000);

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
    await discord?.close();
  });

  it('step 1: carol (Discord, blocks DMs) and dave (Slack, DM refused) are mentioned in each channel once; the thread line, the group message and the audit say so', async () => {
    // Given carol blocks DMs from server members on Discord, and Slack refuses a DM to dave
    discord.fail({ method: 'POST', path: new RegExp(`^/channels/dm-${CAROL.id}/messages$`), status: 403, code: 50007, message: 'Cannot send messages to this user', times: 10 });
    slack.failNext('conversations.open', { status: 200, error: 'messages_tab_disabled' });
    // When a critical alert opens and its escalation pages both
    await t.bot.alerts.receive(payload({ alertname: 'ApiDown', alerts: [{ labels: { severity: 'critical', instance: 'api-1' } }] }));
    await t.bot.alerts.settled();
    id = (await t.bot.alerts.listOpen()).find((g) => g.commonLabels.alertname === 'ApiDown')?._id as string;

    // Then the Discord channel gets carol's mention, pinging exactly her
    const onDiscord = await waitFor(() => discordPosts('c-alerts').find((r) => text(r.body.embeds).includes('Could not DM @carol')), { what: 'fallback for carol on Discord' });
    expect(onDiscord.body.content).toBe(`<@${CAROL.id}>`);
    expect(onDiscord.body.allowed_mentions).toEqual({ parse: [], users: [CAROL.id] });
    expect(onDiscord.body.embeds[0].title).toBe(`❌ Could not DM @carol (Discord: they do not accept direct messages from server members) — @carol, you are paged for ApiDown (${id})`);
    // ...and the Slack channel gets dave's, with his real mention
    const onSlack = await waitFor(() => slackPosts('C0ALERTS').find((c) => text(c.args.text).includes('Could not DM @dave')), { what: 'fallback for dave on Slack' });
    expect(String(onSlack.args.text)).toContain('<@U0DAVE>');
    expect(text(onSlack.args.blocks)).toContain('Slack: they turned off direct messages from apps (Messages tab disabled)');
    expect(text(onSlack.args.blocks)).toContain(`ack ${id}`);
    // Each person is told in every route channel; where they have no identity nothing pings
    const carolOnSlack = await waitFor(() => slackPosts('C0ALERTS').find((c) => text(c.args.text).includes('Could not DM @carol')), { what: 'fallback for carol on Slack' });
    expect(String(carolOnSlack.args.text)).not.toMatch(/<@U/);
    const daveOnDiscord = await waitFor(() => discordPosts('c-alerts').find((r) => text(r.body.embeds).includes('Could not DM @dave')), { what: 'fallback for dave on Discord' });
    expect(daveOnDiscord.body.allowed_mentions).toEqual({ parse: [] });

    // The step's thread line no longer claims the DMs were delivered (updated in place, on both surfaces)
    const group = groupMessage() as Json;
    await waitFor(() => discordIn(group.id).find((m) => text(m.embeds).includes('@carol (DM refused)') && text(m.embeds).includes('@dave (DM refused)')), { what: 'Discord thread line corrected' });
    expect(discordPosts(group.id)).toHaveLength(1);
    const slackGroup = slackPosts('C0ALERTS').find((c) => !c.args.thread_ts && text(c.args.text).includes('ApiDown') && !text(c.args.text).includes('Could not DM'));
    const lineTs = slackPosts('C0ALERTS').find((c) => c.args.thread_ts === slackGroup?.response?.ts)?.response?.ts;
    expect(lineTs).toBeDefined();
    await waitFor(() => slack.callsTo('chat.update').find((c) => c.args.ts === lineTs && text(c.args.text).includes('@carol (DM refused)') && text(c.args.text).includes('@dave (DM refused)')), { what: 'Slack thread line corrected' });
    // ...and the group message says where they were paged
    await waitFor(() => text(groupMessage()?.embeds).includes('@carol (DM refused, mentioned in the channel)'), { what: 'group message shows the refusal' });

    // Audited once per person, as system events
    const audit = await waitFor(async () => {
      const list = await t.bot.audit.list({ limit: 50, command: 'escalation.dm_refused' });
      return list.length >= 2 ? list : undefined;
    }, { what: 'audit entries' });
    expect(audit).toHaveLength(2);
    expect(text(audit)).toContain(`could not DM @carol (Discord: they do not accept direct messages from server members); paged in slack:C0ALERTS, discord:c-alerts instead for alert ${id}`);

    // The DM page is dead in the outbox; nothing retries it in a loop (one 403 per attempt)
    expect(discord.calls('POST', new RegExp(`^/channels/dm-${CAROL.id}/messages$`))).toHaveLength(1);
    // The step machine went on: step 1 fired, step 2 waits for its time
    const rec = await t.bot.oncall.escalations.get(id);
    expect(rec?.machine).toMatchObject({ phase: 'running', step: 1, fired: ['0.0'] });
    expect(rec?.pages.filter((p) => p.refused).map((p) => p.who).sort()).toEqual(['carol', 'dave']);
  });

  it('the fallback is posted and audited once: the same dead page reported again (a retry, a second process) changes nothing', async () => {
    const rec = await t.bot.oncall.escalations.get(id);
    const page = rec?.pages.find((p) => p.who === 'carol');
    const before = { discord: discordPosts('c-alerts').length, slack: slackPosts('C0ALERTS').length };
    const refused = new DirectMessageRefused('refused', 403, 'Discord: they do not accept direct messages from server members');
    await Promise.all([
      t.bot.oncall.escalations.onMessageDead({ _id: page?.key as string, channel: page?.channel as string }, refused),
      t.bot.oncall.escalations.onMessageDead({ _id: page?.key as string, channel: page?.channel as string }, refused),
    ]);
    await t.bot.outbox.idle();
    expect(discordPosts('c-alerts')).toHaveLength(before.discord);
    expect(slackPosts('C0ALERTS')).toHaveLength(before.slack);
    const audit = await t.bot.audit.list({ limit: 50, command: 'escalation.dm_refused' });
    expect(audit).toHaveLength(2);
  });

  it('step 2 fires on time; a retryable 5xx on erin\'s DMs is retried and delivered, not fallen back', async () => {
    // Given both of erin's DMs fail once with a 5xx
    discord.fail({ method: 'POST', path: new RegExp(`^/channels/dm-${ERIN.id}/messages$`), status: 502, times: 1 });
    slack.failNext('conversations.open', { status: 500 });
    // When step 2 falls due
    clock.advance(10 * MIN);
    // Then erin gets her DM on both surfaces after the retry
    await waitFor(() => discord.calls('POST', new RegExp(`^/channels/dm-${ERIN.id}/messages$`)).find((r) => r.status === 200), { what: 'erin\'s Discord DM delivered' });
    await waitFor(() => slackPosts(`DU0ERIN`)[0], { what: 'erin\'s Slack DM delivered' });
    expect(discord.calls('POST', new RegExp(`^/channels/dm-${ERIN.id}/messages$`)).map((r) => r.status)).toEqual([502, 200]);
    expect(slack.callsTo('conversations.open').filter((c) => c.args.users === 'U0ERIN').map((c) => c.status)).toEqual([500, 200]);
    const rec = await waitFor(async () => { const r = await t.bot.oncall.escalations.get(id); return r?.machine.fired.includes('0.1') ? r : undefined; }, { what: 'step 2 fired' });
    expect(rec.pages.filter((p) => p.who === 'erin').map((p) => p.at.getTime())).toEqual([clock.now(), clock.now()]);
    // ...and nobody says her DM was refused
    await t.bot.outbox.idle();
    expect(rec.pages.some((p) => p.who === 'erin' && p.refused)).toBe(false);
    expect(text(discordIn('c-alerts').map((m) => m.embeds))).not.toContain('Could not DM @erin');
    expect(text(slackPosts('C0ALERTS').map((c) => c.args.text))).not.toContain('Could not DM @erin');
  });

  it('carol, whose DM was refused, acknowledges with the group message\'s button in the channel (being paged grants it)', async () => {
    const group = groupMessage() as Json;
    const button = group.components.flatMap((row: { components: { label: string; custom_id: string }[] }) => row.components).find((b: { label: string }) => b.label.startsWith('Acknowledge'));
    discord.pressButton({ id: CAROL.id, username: CAROL.username }, group.id, button.custom_id);
    const acked = await waitFor(async () => { const g = await t.bot.alerts.find(id); return g.ackedAt ? g : undefined; }, { what: 'acknowledged by carol' });
    expect(acked.ackedBy).toContain('carol');
    await waitFor(async () => (await t.bot.oncall.escalations.get(id))?.phase === 'stopped', { what: 'escalation stopped' });
    await t.bot.outbox.idle();
    // Her refused DM is not tried again to say it was acknowledged
    expect(discord.calls('POST', new RegExp(`^/channels/dm-${CAROL.id}/messages$`))).toHaveLength(1);
  });
});

/**
 * One person on two surfaces, and alert buttons inside and outside a role's scope, through the
 * real Slack (Bolt, HTTP mode) and Discord (discord.js) surfaces against their protocol-level
 * stand-ins, in one bot.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { DiscordStandIn } from '../support/discord.js';
import { waitFor } from '../support/servers.js';
import { payload } from '../support/alert-payloads.js';

const TOKEN = 'discord-test-token.abc.def';
/** Alice on Discord: same person as Slack's U0ALICE. */
const ALICE_DISCORD = { id: '700000000000000001', username: 'alice', roles: [] as string[] };
const BOB_DISCORD = { id: '700000000000000002', username: 'bob', roles: ['800000000000000007'] };

const yaml = `
targets:
  staging-web: { environment: staging }
  prod-db: { environment: production }
people:
  alice:
    slack: U0ALICE
    discord: "${ALICE_DISCORD.id}"
    email: alice@example.com
    tz: Europe/Berlin
    roles: [stager]
rbac:
  roles:
    admin: { allow: ["*"] }
    stager: { allow: [health, alerts, ack, resolve, silence], targets: ["staging-*"] }
    viewer: { allow: [health], environments: [staging] }
  subjects:
    console:operator: [admin]
    slack:U0ALICE: [viewer]
    "discord:role:${BOB_DISCORD.roles[0]}": [stager]
alerting:
  routes:
    - channels: [slack:C0ALERTS, discord:c-alerts]
  rate: { messages: 100, per: 1s }
`;

const text = (v: unknown) => JSON.stringify(v ?? '');

describe('people and alert buttons on Slack and Discord', () => {
  let slack: SlackStandIn;
  let discord: DiscordStandIn;
  let t: TestBot;
  const ids: Record<'prod' | 'staging', string> = { prod: '', staging: '' };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300, roles: BOB_DISCORD.roles });
    t = await startTestBot({ yaml, env: { ...slackEnv(slack), DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl } });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200, { what: 'readyz 200' });
    // Given one alert about production and one about staging, posted to both surfaces
    await t.bot.alerts.receive(payload({ alertname: 'ProdDbDown', alerts: [{ labels: { target: 'prod-db' } }] }));
    await t.bot.alerts.receive(payload({ alertname: 'StagingWebSlow', alerts: [{ labels: { service: 'staging-web' } }] }));
    await t.bot.alerts.settled();
    for (const g of await t.bot.alerts.listOpen()) ids[g.commonLabels.alertname === 'ProdDbDown' ? 'prod' : 'staging'] = g._id;
    await waitFor(() => slack.callsTo('chat.postMessage').length >= 2 && [...discord.messages.values()].filter((m) => m.channel_id === 'c-alerts').length >= 2, { what: 'alerts posted on both surfaces' });
  });

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
    await discord?.close();
  });

  /** The command a posted Slack alert message's button carries. */
  const slackButton = (alertname: string, verb: string): string => {
    const post = slack.callsTo('chat.postMessage').find((c) => text(c.args.blocks).includes(alertname));
    const buttons = JSON.stringify(post?.args.blocks ?? []).match(/"value":"([^"]+)"/g) ?? [];
    const value = buttons.map((b) => JSON.parse(`{${b}}`).value as string).find((v) => v.startsWith(`${verb} `));
    if (!value) throw new Error(`no ${verb} button on the Slack message of ${alertname}`);
    return value;
  };

  /** The posted Discord alert message and the custom_id of one of its buttons. */
  const discordButton = (alertname: string, label: string): { messageId: string; customId: string } => {
    const message = [...discord.messages.values()].find((m) => m.channel_id === 'c-alerts' && text(m.embeds).includes(alertname));
    const button = message?.components.flatMap((row: { components: { label: string; custom_id: string }[] }) => row.components).find((b: { label: string }) => b.label.startsWith(label));
    if (!message || !button) throw new Error(`no ${label} button on the Discord message of ${alertname}`);
    return { messageId: message.id, customId: button.custom_id };
  };

  it('whoami: Alice is one person with the same roles on Slack and on Discord', async () => {
    // When Alice asks on Slack
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'whoami', userId: 'U0ALICE' });
    const onSlack = res.json as { response_type: string; blocks: unknown[] };
    expect(onSlack.response_type).toBe('ephemeral');
    const slackText = text(onSlack.blocks);
    // Then opsbot knows her as alice, with her Discord identity, her roles and where they come from
    expect(slackText).toContain('You are alice');
    expect(slackText).toContain('slack:U0ALICE');
    expect(slackText).toContain(`discord:user:${ALICE_DISCORD.id}`);
    expect(slackText).toContain('Europe/Berlin');
    expect(slackText).toMatch(/stager.*person alice/);
    expect(slackText).toMatch(/viewer.*slack:U0ALICE/);
    expect(slackText).toContain('targets staging-*');
    // When she asks on Discord
    const { id } = discord.slashCommand(ALICE_DISCORD, ['whoami']);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'whoami callback' });
    expect(cb?.body.data.flags & 64).toBe(64);
    const discordText = text(cb?.body.data.embeds);
    // Then it is the same person, with the same roles (viewer too, through her Slack identity)
    expect(discordText).toContain('You are alice');
    expect(discordText).toContain(`discord:user:${ALICE_DISCORD.id}`);
    expect(discordText).toContain('slack:U0ALICE');
    expect(discordText).toMatch(/stager.*person alice/);
    expect(discordText).toMatch(/viewer.*slack:U0ALICE/);
  });

  it('whoami for someone who is nobody says so and still answers', async () => {
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'whoami', userId: 'U0EVE' });
    const body = text((res.json as { blocks: unknown[] }).blocks);
    expect(body).toContain('You are slack:U0EVE');
    expect(body).toContain('not listed under people');
    expect(body).toContain('you may run only help and whoami');
  });

  it('Slack: Alice\'s press of Acknowledge on the production alert is refused; on the staging alert it acknowledges', async () => {
    // When Alice presses Acknowledge on the production alert
    const responseUrl = slack.responseUrl('alice-prod');
    await slack.sendBlockAction(t.baseUrl, { value: slackButton('ProdDbDown', 'ack'), userId: 'U0ALICE', channelId: 'C0ALERTS', messageTs: '1700000000.000101', responseUrl });
    // Then only she sees the refusal, naming the target, and the shared message is left alone
    const denial = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'ephemeral denial' });
    expect(denial.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(text(denial.body.blocks)).toContain('Permission denied');
    expect(text(denial.body.blocks)).toContain('prod-db (production)');
    expect(slack.callsTo('chat.update').filter((c) => c.args.ts === '1700000000.000101')).toEqual([]);
    expect((await t.bot.alerts.find(ids.prod)).ackedAt).toBeUndefined();
    // When she presses Acknowledge on the staging alert
    await slack.sendBlockAction(t.baseUrl, { value: slackButton('StagingWebSlow', 'ack'), userId: 'U0ALICE', channelId: 'C0ALERTS', messageTs: '1700000000.000102' });
    // Then it is acknowledged, by her
    const acked = await waitFor(async () => { const g = await t.bot.alerts.find(ids.staging); return g.ackedAt ? g : undefined; }, { what: 'staging alert acknowledged' });
    expect(acked.ackedBy).toBeDefined();
    const audit = await t.bot.audit.list({ limit: 20, subject: 'slack:U0ALICE', command: 'ack' });
    expect(audit.map((e) => e.decision).sort()).toEqual(['allowed', 'denied']);
  });

  it('Discord: a press of Resolve on the production alert by a staging-scoped member is refused; on the staging alert it resolves', async () => {
    // When Bob (stager through his Discord role) presses Resolve on the production alert
    const prod = discordButton('ProdDbDown', 'Resolve');
    const before = text(discord.messages.get(prod.messageId));
    const { id } = discord.pressButton(BOB_DISCORD, prod.messageId, prod.customId);
    // Then only he sees the refusal and the message the outbox owns is not rewritten
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'denial' });
    expect(cb?.body.type).toBe(4);
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds[0].title).toContain('Permission denied');
    expect(text(cb?.body.data.embeds)).toContain('prod-db (production)');
    expect(text(discord.messages.get(prod.messageId))).toBe(before);
    expect((await t.bot.alerts.find(ids.prod)).open).toBe(true);
    // When he presses Resolve on the staging alert
    const staging = discordButton('StagingWebSlow', 'Resolve');
    discord.pressButton(BOB_DISCORD, staging.messageId, staging.customId);
    // Then it is resolved
    await waitFor(async () => !(await t.bot.alerts.find(ids.staging)).open, { what: 'staging alert resolved' });
    const audit = await t.bot.audit.list({ limit: 20, subject: `discord:user:${BOB_DISCORD.id}`, command: 'resolve' });
    expect(audit.map((e) => e.decision).sort()).toEqual(['allowed', 'denied']);
  });
});

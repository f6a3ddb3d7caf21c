/**
 * One visibility rule on every surface: the router sets it, so the same reply renders the same
 * way on Slack and Discord (through their protocol stand-ins, one bot with both surfaces), and a
 * failed button press goes to the presser only, leaving the outbox's alert message as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineCommand } from '../../src/core/command.js';
import { UserError } from '../../src/core/errors.js';
import { DiscordStandIn } from '../support/discord.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { payload } from '../support/alert-payloads.js';
import { waitFor } from '../support/servers.js';

const TOKEN = 'discord-visibility-token.abc.def';
const MEMBER = { id: '710000000000000001', username: 'alice', roles: ['810000000000000001'] };

const yaml = `
targets: {}
alerting:
  defaultChannel: discord:c-alerts
rbac:
  roles: { operator: { allow: ["*"] } }
  subjects:
    "discord:role:810000000000000001": [operator]
    slack:U0ALICE: [operator]
slack: { ackWithin: 1500 }
`;

describe('visibility: one default on every surface', () => {
  let slack: SlackStandIn;
  let discord: DiscordStandIn;
  let t: TestBot;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300, roles: [MEMBER.roles[0] as string] });
    t = await startTestBot({
      yaml,
      env: { ...slackEnv(slack), DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl },
      beforeStart: (bot) => {
        bot.registry.register(
          defineCommand({ name: 'plain', summary: 'A result that says nothing about who sees it', params: [], schema: z.object({}), risk: 'read',
            run: async () => ({ title: 'Plain result', status: 'ok', blocks: [{ type: 'text', text: 'all good' }] }) }),
          defineCommand({ name: 'refuse', summary: 'A user error', params: [], schema: z.object({}), risk: 'read',
            run: async () => { throw new UserError('conflict', 'that was already done'); } }),
        );
      },
    });
    await waitFor(() => t.bot.surfaces.find((s) => s.name === 'discord')?.notReadyReason() === undefined, { what: 'discord ready', timeoutMs: 15_000 });
  }, 30_000);

  afterAll(async () => {
    await t?.stop();
    await discord?.close();
    await slack?.close();
  });

  const discordAnswer = async (id: string) => (await waitFor(() => discord.callbacks(id)[0], { what: 'discord callback' })).body as { type: number; data: { flags?: number; embeds: { title: string }[] } };

  it('given a result without visibility, then both surfaces show it to the channel', async () => {
    // When the same command is typed on Slack and on Discord
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'plain', userId: 'U0ALICE', channelId: 'C0OPS' });
    const { id } = discord.slashCommand(MEMBER, ['plain']);
    // Then Slack posts it in the channel (empty ack, chat.postMessage) …
    expect(res.text).toBe('');
    const post = await waitFor(() => slack.callsTo('chat.postMessage').find((c) => JSON.stringify(c.args.blocks).includes('Plain result')), { what: 'slack post' });
    expect(post.args.channel).toBe('C0OPS');
    // … and Discord answers publicly (no ephemeral flag)
    const answer = await discordAnswer(id);
    expect(answer.type).toBe(4);
    expect((answer.data.flags ?? 0) & 64).toBe(0);
    expect(answer.data.embeds[0]?.title).toContain('Plain result');
  });

  it('given a user error without visibility, then both surfaces show it only to the asker', async () => {
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'refuse', userId: 'U0ALICE', channelId: 'C0OPS' });
    const { id } = discord.slashCommand(MEMBER, ['refuse']);
    expect((res.json as { response_type: string }).response_type).toBe('ephemeral');
    expect(JSON.stringify(res.json)).toContain('that was already done');
    const answer = await discordAnswer(id);
    expect((answer.data.flags ?? 0) & 64).toBe(64);
    expect(answer.data.embeds[0]?.title).toContain('refuse failed');
  });

  it('given a failed button press on an alert message, then only the presser is told and the message stays as the outbox posted it', async () => {
    // Given an alert the outbox posted to Discord, with its buttons
    await t.bot.alerts.receive(payload({ alertname: 'DiskFull', alerts: [{ labels: { instance: 'db-1' } }] }));
    const [messageId, message] = await waitFor(() => [...discord.messages.entries()].find(([, m]) => m.channel_id === 'c-alerts' && JSON.stringify(m.embeds).includes('DiskFull')), { what: 'alert posted', timeoutMs: 15_000 });
    const silence = (message.components as { components: { custom_id?: string; label: string }[] }[]).flatMap((r) => r.components).find((b) => b.label.startsWith('Silence'));
    const before = JSON.stringify(discord.messages.get(messageId));
    // When a member presses "Silence" and it fails (no Alertmanager is configured)
    const { id } = discord.pressButton(MEMBER, messageId, silence?.custom_id as string);
    // Then the answer is ephemeral, to the presser only
    const answer = await discordAnswer(id);
    expect(answer.type).toBe(4);
    expect((answer.data.flags ?? 0) & 64).toBe(64);
    expect(answer.data.embeds[0]?.title).toContain('silence failed');
    // And the alert message is exactly as it was (no update, no edit)
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.stringify(discord.messages.get(messageId))).toBe(before);
    expect(discord.calls('PATCH', new RegExp(`/messages/${messageId}$`))).toEqual([]);
  });

  it('given a button whose custom_id is no longer known, then the press is refused to the presser and audited as a system entry', async () => {
    const [messageId] = [...discord.messages.entries()].find(([, m]) => m.channel_id === 'c-alerts') ?? [];
    const { id } = discord.pressButton(MEMBER, messageId as string, 'ops#0:no-such-key');
    const answer = await discordAnswer(id);
    expect((answer.data.flags ?? 0) & 64).toBe(64);
    expect(answer.data.embeds[0]?.title).toContain('This button has expired');
    const entry = await waitFor(async () => (await t.bot.audit.list({ limit: 20 })).find((e) => e.decision === 'rejected'), { what: 'rejection audited' });
    expect(entry).toMatchObject({ surface: 'system', origin: 'discord', subject: `discord:user:${MEMBER.id}`, code: 'expired', command: 'rejected button' });
  });

  it('given a Slack button of ours without a command, then the presser is told and it is audited', async () => {
    const responseUrl = slack.responseUrl('novalue');
    await slack.sendBlockAction(t.baseUrl, { value: '', userId: 'U0ALICE', actionId: 'opsbot:run:0', responseUrl });
    const told = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'ephemeral rejection' });
    expect(told.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(told.body)).toContain('This button cannot run');
    const entry = await waitFor(async () => (await t.bot.audit.list({ limit: 20 })).find((e) => e.origin === 'slack'), { what: 'slack rejection audited' });
    expect(entry).toMatchObject({ surface: 'system', subject: 'slack:U0ALICE', decision: 'rejected', code: 'invalid' });
    expect(slack.callsTo('chat.update')).toEqual([]);
  });
});

/**
 * Approvals through the real Slack (Bolt, HTTP mode) and Discord (discord.js) surfaces against
 * their protocol-level stand-ins, with the outbox posting and updating the request message:
 * request → approve → executed once; deny; self-approval by the same person on the other surface;
 * an approver without a role for the target; expiry on an injected clock across a real restart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { DiscordStandIn } from '../support/discord.js';
import { tmpDir, waitFor } from '../support/servers.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Bot } from '../../src/main.js';

const TOKEN = 'discord-test-token.abc.def';
const ALICE_D = { id: '700000000000000001', username: 'alice', roles: [] as string[] };
const BOB_D = { id: '700000000000000002', username: 'bob', roles: [] as string[] };
const CAROL_D = { id: '700000000000000003', username: 'carol', roles: [] as string[] };

const yaml = `
targets:
  pixelforge: { environment: production }
  pixelforge-staging: { environment: staging }
people:
  alice: { slack: U0ALICE, discord: "${ALICE_D.id}", roles: [operator] }
  bob: { slack: U0BOB, discord: "${BOB_D.id}", roles: [sre-lead] }
  carol: { slack: U0CAROL, discord: "${CAROL_D.id}", roles: [staging-lead] }
rbac:
  roles:
    admin: { allow: ["*"] }
    operator: { allow: [patch, health] }
    sre-lead: { allow: [health] }
    staging-lead: { allow: [health], environments: [staging] }
  subjects: { console:operator: [admin] }
approvals:
  rules:
    - commands: [patch]
      environments: [production]
      approvers: [sre-lead, staging-lead, admin]
      channel: slack:C0APPROVALS
      reason: required
      expires: 30m
    - commands: [patch]
      approvers: [staging-lead, sre-lead]
      expires: 10m
alerting:
  rate: { messages: 100, per: 1s }
`;

/** `patch <target>`: a dangerous command that counts its runs (the PixelForge "apply patches" step). */
function patchCommand(runs: string[]) {
  return defineCommand({
    name: 'patch',
    summary: 'Apply pending OS patches',
    params: [{ name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' }],
    schema: z.object({ target: z.enum(['pixelforge', 'pixelforge-staging']) }),
    risk: 'dangerous',
    targetOf: (a) => a.target,
    describe: (a) => `apply the pending OS patches to ${a.target}`,
    async run(ctx, a) {
      runs.push(`${a.target} as ${ctx.subject.id}`);
      return textReply(`Patched ${a.target}`, 'ok', '3 packages upgraded');
    },
  });
}

const text = (v: unknown) => JSON.stringify(v ?? '');
const buttonValues = (blocks: unknown): string[] => (JSON.stringify(blocks ?? []).match(/"value":"([^"]+)"/g) ?? []).map((b) => JSON.parse(`{${b}}`).value as string);

describe('approvals on Slack and Discord', () => {
  let slack: SlackStandIn;
  let discord: DiscordStandIn;
  let t: TestBot;
  const runs: string[] = [];

  beforeAll(async () => {
    slack = await startSlackStandIn();
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300 });
    t = await startTestBot({ yaml, env: { ...slackEnv(slack), DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl }, beforeStart: (bot: Bot) => { bot.registry.register(patchCommand(runs)); } });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200, { what: 'readyz 200' });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
    await discord?.close();
  });

  it('Slack: Alice asks, her own Discord identity may not approve, a staging lead may not, Bob\'s press runs it once as Alice', async () => {
    // When Alice types the command without a reason, she is told it needs one
    const noReason = await slack.sendSlashCommand(t.baseUrl, { text: 'patch pixelforge', userId: 'U0ALICE', channelId: 'C0OPS' });
    expect(text(noReason.json)).toContain('--reason');
    // When she gives one
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'patch pixelforge --reason "CVE-2026-1234"', userId: 'U0ALICE', channelId: 'C0OPS' });
    const answer = res.json as { response_type: string; blocks: unknown[] };
    expect(answer.response_type).toBe('ephemeral');
    const id = /Approval requested: (r[a-z0-9]+)/.exec(text(answer.blocks))?.[1] as string;
    expect(id).toBeDefined();
    // Then the request is posted in the approvals channel with Approve / Deny carrying only the id
    const post = await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0APPROVALS' && text(c.args.blocks).includes(id)), { what: 'request posted' });
    expect(text(post.args.blocks)).toContain('apply the pending OS patches to pixelforge');
    expect(text(post.args.blocks)).toContain('CVE-2026-1234');
    expect(buttonValues(post.args.blocks)).toEqual([`approve ${id}`, `deny ${id}`]);
    expect(runs).toEqual([]);

    // When Alice, through Discord, tries to approve it
    const self = discord.slashCommand(ALICE_D, ['run'], [{ name: 'command', type: 3, value: `approve ${id}` }]);
    const [selfCb] = await waitFor(() => (discord.callbacks(self.id).length ? discord.callbacks(self.id) : undefined), { what: 'self-approval answer' });
    expect(selfCb?.body.data.flags & 64).toBe(64);
    expect(text(selfCb?.body.data.embeds)).toContain('You asked for');
    // And Carol, whose lead role covers only staging, presses Approve
    const carolUrl = slack.responseUrl('carol');
    await slack.sendBlockAction(t.baseUrl, { value: `approve ${id}`, userId: 'U0CAROL', channelId: 'C0APPROVALS', messageTs: String(post.args.ts ?? '1700000000.000200'), responseUrl: carolUrl });
    const carol = await waitFor(() => slack.responsesTo(carolUrl)[0], { what: 'carol refused' });
    expect(carol.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(text(carol.body.blocks)).toContain('pixelforge (production)');
    expect(runs).toEqual([]);

    // When Bob presses Approve
    const bobUrl = slack.responseUrl('bob');
    await slack.sendBlockAction(t.baseUrl, { value: `approve ${id}`, userId: 'U0BOB', channelId: 'C0APPROVALS', messageTs: '1700000000.000200', responseUrl: bobUrl });
    const bob = await waitFor(() => slack.responsesTo(bobUrl)[0], { what: 'bob answered' });
    expect(text(bob.body.blocks)).toContain(`Approved ${id}`);
    // Then it runs once, as Alice; the message is updated in place and the result is in its thread
    await waitFor(() => runs.length === 1, { what: 'executed' });
    expect(runs).toEqual(['pixelforge as slack:U0ALICE']);
    const update = await waitFor(() => slack.callsTo('chat.update').find((c) => text(c.args.blocks).includes('Approved and done')), { what: 'message updated' });
    expect(update.args.channel).toBe('C0APPROVALS');
    const thread = await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && text(c.args.blocks).includes('Patched pixelforge')), { what: 'result in thread' });
    expect(thread.args.channel).toBe('C0APPROVALS');
    // And Alice hears it where she asked
    await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0OPS' && text(c.args.blocks).includes('Patched pixelforge')), { what: 'told to the requester' });
    // And a second press changes nothing
    const againUrl = slack.responseUrl('again');
    await slack.sendBlockAction(t.baseUrl, { value: `approve ${id}`, userId: 'U0BOB', channelId: 'C0APPROVALS', messageTs: '1700000000.000200', responseUrl: againUrl });
    expect(text((await waitFor(() => slack.responsesTo(againUrl)[0], { what: 'second press' })).body.blocks)).toContain('already executed');
    await t.bot.approvals.settled();
    expect(runs).toHaveLength(1);
    const entry = (await t.bot.audit.list({ limit: 50, command: 'patch' })).find((e) => e.approval === id);
    expect(entry).toMatchObject({ subject: 'slack:U0ALICE', state: 'ok' });
  });

  it('Discord: a staging request posted where it was asked; Carol denies it with the button and nothing runs; Bob approves the next', async () => {
    const before = runs.length;
    const ask = discord.slashCommand(ALICE_D, ['run'], [{ name: 'command', type: 3, value: 'patch pixelforge-staging' }], { channelId: 'c-ops' });
    const [cb] = await waitFor(() => (discord.callbacks(ask.id).length ? discord.callbacks(ask.id) : undefined), { what: 'held answer' });
    expect(cb?.body.data.flags & 64).toBe(64);
    const id = /Approval requested: (r[a-z0-9]+)/.exec(text(cb?.body.data.embeds))?.[1] as string;
    // The request itself (the copy told to the requester in the same channel has no buttons).
    const msg = await waitFor(() => [...discord.messages.values()].find((m) => m.channel_id === 'c-ops' && text(m.embeds).includes(id) && text(m.embeds).includes('Approval needed')), { what: 'request on discord' });
    const deny = msg.components.flatMap((r: { components: { label: string; custom_id: string }[] }) => r.components).find((b: { label: string }) => b.label === 'Deny');
    expect(deny.custom_id).toBe(`ops:1:deny ${id}`);
    const press = discord.pressButton(CAROL_D, msg.id, deny.custom_id);
    const [pressCb] = await waitFor(() => (discord.callbacks(press.id).length ? discord.callbacks(press.id) : undefined), { what: 'deny answer' });
    expect(pressCb?.body.data.flags & 64).toBe(64);
    await waitFor(() => text(discord.messages.get(msg.id)?.embeds).includes('Denied'), { what: 'message shows denied' });
    expect(discord.messages.get(msg.id)?.components).toEqual([]);
    expect(runs.length).toBe(before);

    const ask2 = discord.slashCommand(ALICE_D, ['run'], [{ name: 'command', type: 3, value: 'patch pixelforge-staging' }], { channelId: 'c-ops' });
    const [cb2] = await waitFor(() => (discord.callbacks(ask2.id).length ? discord.callbacks(ask2.id) : undefined), { what: 'held answer' });
    const id2 = /Approval requested: (r[a-z0-9]+)/.exec(text(cb2?.body.data.embeds))?.[1] as string;
    const msg2 = await waitFor(() => [...discord.messages.values()].find((m) => m.channel_id === 'c-ops' && text(m.embeds).includes(id2) && text(m.embeds).includes('Approval needed')), { what: 'second request' });
    discord.pressButton(BOB_D, msg2.id, `ops:0:approve ${id2}`);
    await waitFor(() => runs.length === before + 1, { what: 'executed' });
    expect(runs.at(-1)).toBe(`pixelforge-staging as discord:user:${ALICE_D.id}`);
    await waitFor(() => [...discord.messages.values()].find((m) => m.channel_id === msg2.id && text(m.embeds).includes('Patched pixelforge-staging')), { what: 'result in the thread' });
  });
});

describe('approval expiry across a real restart', () => {
  it('given a pending request and a bot that stops, when a new bot starts after the deadline, then the request expires and its Slack message says so', async () => {
    const slack = await startSlackStandIn();
    const { dir, cleanup } = await tmpDir('opsbot-approvals-');
    const clock = new ManualClock(Date.now());
    const runs: string[] = [];
    const start = () => startTestBot({ yaml, dataDir: dir, env: slackEnv(slack), extra: { clock }, beforeStart: (bot: Bot) => { bot.registry.register(patchCommand(runs)); } });
    try {
      const first = await start();
      const res = await slack.sendSlashCommand(first.baseUrl, { text: 'patch pixelforge --reason "kernel"', userId: 'U0ALICE', channelId: 'C0OPS' });
      const id = /Approval requested: (r[a-z0-9]+)/.exec(text((res.json as { blocks: unknown[] }).blocks))?.[1] as string;
      await waitFor(() => slack.callsTo('chat.postMessage').find((c) => text(c.args.blocks).includes(id)), { what: 'request posted' });
      await first.bot.stop();
      clock.advance(31 * 60_000);
      const second = await start();
      try {
        await waitFor(() => slack.callsTo('chat.update').find((c) => text(c.args.blocks).includes('Expired')), { what: 'expired message' });
        expect((await second.bot.approvals.find(id))?.state).toBe('expired');
        const late = await slack.sendSlashCommand(second.baseUrl, { text: `approve ${id}`, userId: 'U0BOB', channelId: 'C0APPROVALS' });
        expect(text(late.json)).toContain('already expired');
        expect(runs).toEqual([]);
      } finally {
        await second.bot.stop();
      }
    } finally {
      await slack.close();
      await cleanup();
    }
  }, 60_000);
});

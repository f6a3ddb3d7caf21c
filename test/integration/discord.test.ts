/**
 * End to end through the real discord.js client: a Discord REST + gateway stand-in on loopback
 * (test/support/discord.ts), the bot connected to it with DISCORD_TOKEN and DISCORD_API_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { DiscordStandIn } from '../support/discord.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/servers.js';
import { commandProblems } from '../support/discord-limits.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';
import { ChatDeliveryError } from '../../src/core/chat.js';
import type { DiscordSurface } from '../../src/bot/adapters/discord/surface.js';

const TOKEN = 'discord-test-token.abc.def';
const OPERATOR = { id: '700000000000000001', username: 'alice', roles: ['800000000000000001'] };
const STRANGER = { id: '700000000000000002', username: 'mallory', roles: ['800000000000000099'] };

const yaml = (tcpPort: number) => `
bot: { consoleUser: "console:operator" }
targets:
  web:
    environment: production
    health:
      - name: web port
        tcp: { host: 127.0.0.1, port: ${tcpPort} }
rbac:
  roles:
    operator: { allow: ["*"] }
  subjects:
    "discord:role:800000000000000001": [operator]
`;

describe('Discord surface against a REST + gateway stand-in', () => {
  let discord: DiscordStandIn;
  let t: TestBot;
  let tcp: net.Server;
  let surface: DiscordSurface;

  beforeAll(async () => {
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300, roles: [OPERATOR.roles[0] as string] });
    tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    t = await startTestBot({
      yaml: yaml((tcp.address() as AddressInfo).port),
      env: { DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl },
      beforeStart: (bot) => {
        bot.registry.register(defineCommand({
          name: 'slowpoke',
          summary: 'Takes longer than Discord waits for a first response',
          params: [{ name: 'ms', kind: 'positional', type: 'number', description: 'How long', required: true }],
          schema: z.object({ ms: z.coerce.number().int().min(0).max(10_000) }),
          risk: 'read',
          async run(_ctx, a) {
            await new Promise((r) => setTimeout(r, a.ms));
            return { ...textReply('Slow work done', 'ok', `waited ${a.ms}ms`), visibility: 'channel' };
          },
        }), defineCommand({
          name: 'slowcrash',
          summary: 'Takes long, then fails with an internal error',
          params: [],
          schema: z.object({}),
          risk: 'read',
          async run() {
            await new Promise((r) => setTimeout(r, 3200));
            throw new Error('database exploded');
          },
        }));
      },
    });
    surface = t.bot.surfaces.find((s) => s.name === 'discord') as DiscordSurface;
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200, { what: 'readyz 200' });
  });

  afterAll(async () => {
    await t?.stop();
    await discord?.close();
    await new Promise((r) => tcp?.close(r));
  });

  it('connects through GET /gateway/bot, identifies with the token and minimal intents, and reports ready', async () => {
    // Given the bot started with DISCORD_TOKEN and DISCORD_API_URL
    // Then discord.js learned the gateway from the REST API and identified with our token
    expect(discord.calls('GET', /^\/gateway\/bot$/).length).toBeGreaterThanOrEqual(1);
    const identify = discord.frames.find((f) => f.dir === 'in' && f.op === 2)?.d as { token: string; intents: number };
    expect(identify.token).toBe(TOKEN);
    expect(identify.intents).toBe(1); // Guilds only: no privileged intents
    // And /readyz reports the Discord surface
    const body = await (await fetch(`${t.baseUrl}/readyz`)).json() as { checks: Record<string, { ready: boolean }> };
    expect(body.checks['surface:discord']).toEqual({ ready: true });
    // And the guild that followed READY is cached, so members arrive as full guild members
    expect(surface.client.guilds.cache.get(discord.guildId)?.roles.cache.has(OPERATOR.roles[0] as string)).toBe(true);
    // And the console did not start, since a chat surface is configured
    expect(t.bot.surfaces.map((s) => s.name)).toEqual(['discord']);
  });

  it('keeps the gateway alive with heartbeats that are acknowledged', async () => {
    await waitFor(() => discord.heartbeats >= 2, { what: 'two heartbeats' });
    expect(discord.frames.filter((f) => f.dir === 'out' && f.op === 11).length).toBeGreaterThanOrEqual(2);
  });

  it('answers /ops help ephemerally within the deadline', async () => {
    // When a member without any role asks for help
    const { id } = discord.slashCommand(STRANGER, ['help']);
    // Then the interaction is answered with a message only they see, listing the commands
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'help callback' });
    expect(cb?.status).toBe(204);
    expect(cb?.body.type).toBe(4);
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds[0].title).toContain('opsbot commands');
    expect(cb?.body.data.embeds[0].description).toContain('slowpoke');
    expect(cb?.body.data.allowed_mentions).toEqual({ parse: [] });
  });

  it('answers /ops health all in the channel for an operator', async () => {
    const { id } = discord.slashCommand(OPERATOR, ['health'], [{ name: 'target', type: 3, value: 'all' }]);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'health callback' });
    expect(cb?.body.type).toBe(4);
    expect(cb?.body.data.flags ?? 0).toBe(0);
    const embed = cb?.body.data.embeds[0];
    expect(embed.title).toContain('Health: all targets');
    expect(embed.description).toContain('web port');
    expect(embed.color).toBe(0x2ecc71);
    // And the audit trail names the Discord member
    const audit = await t.bot.audit.list({ limit: 5, command: 'health' });
    expect(audit[0]).toMatchObject({ subject: `discord:user:${OPERATOR.id}`, surface: 'discord', decision: 'allowed', outcome: 'ok', channel: 'c-ops' });
  });

  it('denies a member without the role ephemerally, says which role is needed, and audits it', async () => {
    const { id } = discord.slashCommand(STRANGER, ['health'], [{ name: 'target', type: 3, value: 'web' }]);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'denial callback' });
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds[0].title).toContain('Permission denied');
    expect(cb?.body.data.embeds[0].description).toContain('operator');
    const audit = await waitFor(async () => (await t.bot.audit.list({ limit: 20, subject: `discord:user:${STRANGER.id}` })).find((a) => a.decision === 'denied'), { what: 'denial audited' });
    expect(audit).toMatchObject({ command: 'health', outcome: 'denied', surface: 'discord' });
  });

  it('turns options into the console grammar without letting a value act as a flag', async () => {
    // When a member types "--dry-run" into the target box
    const { id } = discord.slashCommand(OPERATOR, ['health'], [{ name: 'target', type: 3, value: '--dry-run' }]);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'callback' });
    // Then it is a target name (unknown), not a dry run
    expect(cb?.body.data.embeds[0].title).not.toContain('Dry run');
    // While the dry-run option does make it a dry run
    const dry = discord.slashCommand(OPERATOR, ['health'], [{ name: 'target', type: 3, value: 'web' }, { name: 'dry-run', type: 5, value: true }]);
    const [cb2] = await waitFor(() => (discord.callbacks(dry.id).length ? discord.callbacks(dry.id) : undefined), { what: 'dry-run callback' });
    expect(cb2?.body.data.embeds[0].title).toContain('Dry run: health');
  });

  it('defers slow work, then edits the original response', async () => {
    const { id, token } = discord.slashCommand(OPERATOR, ['slowpoke'], [{ name: 'ms', type: 10, value: 3500 }]);
    // Then the interaction is deferred before Discord's 3 s deadline
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'deferral' });
    expect(cb?.body.type).toBe(5);
    expect(cb?.status).toBe(204);
    // And the original response is edited with the result once the work is done
    const edit = await waitFor(() => discord.webhookCalls(token).find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original')), { what: 'edit of @original', timeoutMs: 10_000 });
    expect(edit.status).toBe(200);
    expect(edit.body.embeds[0].title).toContain('Slow work done');
  });

  it('answers an unknown command from the free-text subcommand ephemerally', async () => {
    const { id } = discord.slashCommand(OPERATOR, ['run'], [{ name: 'command', type: 3, value: 'nosuchcommand' }]);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'callback' });
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds[0].title).toContain('Unknown command');
  });

  it('replaces a deferred response by an ephemeral follow-up when slow work ends in an error', async () => {
    const { id, token } = discord.slashCommand(OPERATOR, ['slowcrash']);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'deferral' });
    expect(cb?.body.type).toBe(5);
    // Then the public "thinking…" response is deleted and only the asker sees the error
    const followUp = await waitFor(() => discord.webhookCalls(token).find((r) => r.method === 'POST'), { what: 'follow-up', timeoutMs: 10_000 });
    expect(discord.webhookCalls(token).map((r) => r.method)).toEqual(['DELETE', 'POST']);
    expect(followUp.body.flags & 64).toBe(64);
    expect(followUp.body.embeds[0].title).toContain('Something went wrong');
    expect(JSON.stringify(followUp.body)).not.toContain('database exploded');
  });

  it('posts configured mentions as real pings and lets exactly those through allowed_mentions', async () => {
    // Given a reply with a role and @here to ping, and label text that tries to ping everyone
    const ref = await surface.post('c-alerts', {
      title: 'DiskFull @everyone', status: 'fail', blocks: [{ type: 'text', text: 'owner=<@&999> <@999>' }],
      mentions: [{ kind: 'here' }, { kind: 'group', surface: 'discord', id: '800000000000000001' }],
    });
    // Then the POST that reached Discord leads with the pings and allows only them
    const post = discord.calls('POST', /^\/channels\/c-alerts\/messages$/).at(-1);
    expect(post?.body.content).toBe('@here <@&800000000000000001>');
    expect(post?.body.allowed_mentions).toEqual({ parse: ['everyone'], roles: ['800000000000000001'] });
    // And an update of the same message (the alert acknowledged) pings nobody
    await surface.update(ref, { title: 'DiskFull acknowledged', status: 'ok', blocks: [] });
    const patch = discord.calls('PATCH', new RegExp(`^/channels/c-alerts/messages/${ref.id}$`)).at(-1);
    expect(patch?.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('updates the message when a button is pressed, as the member who pressed it', async () => {
    // Given a message the bot posted with a button carrying a command
    const ref = await surface.post('c-alerts', { title: 'Web is slow', status: 'warn', blocks: [{ type: 'text', text: 'p99 over 2s' }], buttons: [{ label: 'Check health', command: 'health web', style: 'primary' }] });
    const posted = discord.messages.get(ref.id);
    const customId = posted?.components[0].components[0].custom_id as string;
    expect(customId).toContain('health web');
    // When an operator presses it
    const { id } = discord.pressButton(OPERATOR, ref.id, customId);
    // Then the message is updated in place, saying what ran and who did it, keeping the alert
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'update callback' });
    expect(cb?.body.type).toBe(7);
    expect(cb?.body.data.content).toContain(`<@${OPERATOR.id}>`);
    expect(cb?.body.data.content).toContain('health web');
    const updated = discord.messages.get(ref.id);
    expect(updated?.embeds.map((e: { title: string }) => e.title)).toEqual([expect.stringContaining('Web is slow'), expect.stringContaining('Health: web')]);
    expect(updated?.components).toEqual([]);
    const audit = await t.bot.audit.list({ limit: 5, subject: `discord:user:${OPERATOR.id}`, command: 'health' });
    expect(audit[0]?.line).toBe('health web');
  });

  it('refuses a press of a button the message does not carry (crafted, or pressed again after the update removed it)', async () => {
    // Given a message the bot posted with one button, `health web`
    const ref = await surface.post('c-ops', { title: 'Web check', status: 'info', blocks: [], buttons: [{ label: 'Check health', command: 'health web' }] });
    const customId = discord.messages.get(ref.id)?.components[0].components[0].custom_id as string;
    const before = JSON.stringify(discord.messages.get(ref.id));
    const refusals = async () => (await t.bot.audit.list({ limit: 50, subject: `discord:user:${OPERATOR.id}` })).filter((a) => a.decision === 'rejected');
    const refusedBefore = (await refusals()).length;
    // When an interaction arrives for that message with a custom_id of ours that none of its buttons has
    const crafted = discord.pressButton(OPERATOR, ref.id, 'ops:0:health db');
    // Then the operator alone is told it cannot run, the message is left alone, nothing ran, and it is audited
    const [cb] = await waitFor(() => (discord.callbacks(crafted.id).length ? discord.callbacks(crafted.id) : undefined), { what: 'refusal' });
    expect(cb?.body.type).toBe(4);
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds[0].title).toContain('This button cannot run');
    expect(JSON.stringify(cb?.body.data.embeds)).toContain('not on the message');
    expect(JSON.stringify(discord.messages.get(ref.id))).toBe(before);
    const refused = await waitFor(async () => { const r = await refusals(); return r.length > refusedBefore ? r : undefined; }, { what: 'refusal audited' });
    expect(refused.find((a) => a.line === 'health db')).toMatchObject({ surface: 'system', origin: 'discord', code: 'invalid', command: 'rejected button' });
    expect(await t.bot.audit.list({ limit: 5, subject: `discord:user:${OPERATOR.id}`, command: 'health' }).then((a) => a.filter((e) => e.line === 'health db'))).toEqual([]);
    // And when the real button is pressed, the update removes the buttons; the same press again is refused
    const first = discord.pressButton(OPERATOR, ref.id, customId);
    await waitFor(() => discord.callbacks(first.id).length > 0, { what: 'first press answered' });
    await waitFor(() => (discord.messages.get(ref.id)?.components.length === 0 ? true : undefined), { what: 'buttons removed' });
    const again = discord.pressButton(OPERATOR, ref.id, customId);
    const [cb2] = await waitFor(() => (discord.callbacks(again.id).length ? discord.callbacks(again.id) : undefined), { what: 'second refusal' });
    expect(cb2?.body.data.embeds[0].title).toContain('This button cannot run');
    const runs = await t.bot.audit.list({ limit: 20, subject: `discord:user:${OPERATOR.id}`, command: 'health' });
    expect(runs.filter((a) => a.line === 'health web' && a.at.getTime() >= (cb?.at ?? 0))).toHaveLength(1);
  });

  it('answers a button press by a member without the role ephemerally and leaves the message alone', async () => {
    const ref = await surface.post('c-alerts', { title: 'Disk full', status: 'fail', blocks: [], buttons: [{ label: 'Health', command: 'health web' }] });
    const before = JSON.stringify(discord.messages.get(ref.id));
    const customId = discord.messages.get(ref.id)?.components[0].components[0].custom_id as string;
    const { id } = discord.pressButton(STRANGER, ref.id, customId);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'denial' });
    expect(cb?.body.type).toBe(4);
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds[0].title).toContain('Permission denied');
    expect(JSON.stringify(discord.messages.get(ref.id))).toBe(before);
    const audit = await waitFor(async () => (await t.bot.audit.list({ limit: 20, subject: `discord:user:${STRANGER.id}` })).find((a) => a.line === 'health web'), { what: 'audit' });
    expect(audit.decision).toBe('denied');
  });

  it('answers a pressed command that fails to the presser only and leaves the message, buttons included, as it was', async () => {
    const ref = await surface.post('c-ops', { title: 'Unknown target', status: 'warn', blocks: [], buttons: [{ label: 'Check', command: 'health nowhere' }] });
    const before = JSON.stringify(discord.messages.get(ref.id));
    const components = discord.messages.get(ref.id)?.components;
    const { id } = discord.pressButton(OPERATOR, ref.id, components[0].components[0].custom_id);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'ephemeral answer' });
    expect(cb?.body.type).toBe(4);
    expect(cb?.body.data.flags & 64).toBe(64);
    expect(cb?.body.data.embeds.at(-1).title).toMatch(/failed/);
    expect(JSON.stringify(discord.messages.get(ref.id))).toBe(before);
  });

  it('defers a slow button press and edits the message when done', async () => {
    const ref = await surface.post('c-ops', { title: 'Batch', status: 'info', blocks: [], buttons: [{ label: 'Run slow', command: 'slowpoke 3500' }] });
    const customId = discord.messages.get(ref.id)?.components[0].components[0].custom_id as string;
    const { id, token } = discord.pressButton(OPERATOR, ref.id, customId);
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'deferred update' });
    expect(cb?.body.type).toBe(6);
    const edit = await waitFor(() => discord.webhookCalls(token).find((r) => r.method === 'PATCH'), { what: 'edit', timeoutMs: 10_000 });
    expect(edit.body.content).toContain(`<@${OPERATOR.id}>`);
    expect(discord.messages.get(ref.id)?.embeds.at(-1).title).toContain('Slow work done');
  });

  it('carries a command too long for a custom_id through the store', async () => {
    const long = `health ${'w'.repeat(120)}`;
    const ref = await surface.post('c-ops', { title: 'Long', status: 'info', blocks: [], buttons: [{ label: 'Go', command: long }] });
    const customId = discord.messages.get(ref.id)?.components[0].components[0].custom_id as string;
    expect(customId.length).toBeLessThanOrEqual(100);
    const { id } = discord.pressButton(OPERATOR, ref.id, customId);
    await waitFor(() => discord.callbacks(id).length > 0, { what: 'callback' });
    const audit = await waitFor(async () => (await t.bot.audit.list({ limit: 5 })).find((a) => a.line === long), { what: 'audit of long command' });
    expect(audit.subject).toBe(`discord:user:${OPERATOR.id}`);
  });

  it('offers target names by autocomplete', async () => {
    const { id } = discord.slashCommand(OPERATOR, ['health'], [{ name: 'target', type: 3, value: 'we', focused: true }], { autocomplete: true });
    const [cb] = await waitFor(() => (discord.callbacks(id).length ? discord.callbacks(id) : undefined), { what: 'autocomplete' });
    expect(cb?.body).toEqual({ type: 8, data: { choices: [{ name: 'web', value: 'web' }] } });
  });

  it('retries a post after the Retry-After of a 429', async () => {
    discord.fail({ method: 'POST', path: /^\/channels\/c-429\/messages$/, status: 429, retryAfter: 1 });
    await surface.post('c-429', { title: 'hello', status: 'info', blocks: [] });
    const calls = discord.calls('POST', /^\/channels\/c-429\/messages$/);
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect((calls[1] as { at: number }).at - (calls[0] as { at: number }).at).toBeGreaterThanOrEqual(950);
  });

  it('retries an interaction response after a 429 and still answers in time', async () => {
    discord.fail({ method: 'POST', path: /\/callback$/, status: 429, retryAfter: 0.3 });
    const { id } = discord.slashCommand(OPERATOR, ['help']);
    await waitFor(() => discord.callbacks(id).some((c) => c.status === 204), { what: 'answered after 429' });
    expect(discord.callbacks(id).map((c) => c.status)).toEqual([429, 204]);
  });

  it('retries a 5xx and never retries another 4xx', async () => {
    discord.fail({ method: 'PATCH', path: /^\/channels\/c-5xx\/messages\/\d+$/, status: 502 });
    const ref = await surface.post('c-5xx', { title: 'one', status: 'info', blocks: [] });
    await surface.update(ref, { title: 'two', status: 'ok', blocks: [] });
    expect(discord.calls('PATCH', /^\/channels\/c-5xx\//).map((c) => c.status)).toEqual([502, 200]);
    expect(discord.messages.get(ref.id)?.embeds[0].title).toContain('two');

    discord.fail({ method: 'POST', path: /^\/channels\/c-403\/messages$/, status: 403, times: 5 });
    const err = await surface.post('c-403', { title: 'x', status: 'info', blocks: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatDeliveryError);
    expect((err as ChatDeliveryError).code).toBe(403);
    expect(discord.calls('POST', /^\/channels\/c-403\/messages$/)).toHaveLength(1);
  });

  it('resumes after the gateway drops the connection and is ready again', async () => {
    const before = discord.frames.filter((f) => f.dir === 'in' && (f.op === 6 || f.op === 2)).length;
    discord.dropConnections(4000);
    await waitFor(() => discord.frames.filter((f) => f.dir === 'in' && (f.op === 6 || f.op === 2)).length > before, { what: 'resume or identify' });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200 && discord.connected === 1, { what: 'ready again' });
    // And commands still work
    const { id } = discord.slashCommand(STRANGER, ['help']);
    await waitFor(() => discord.callbacks(id).length > 0, { what: 'help after resume' });
  });

  it('sends a direct message through a DM channel', async () => {
    const ref = await surface.directMessage(`discord:user:${OPERATOR.id}`, { title: 'You are on call', status: 'info', blocks: [] });
    expect(ref.channel).toBe(`dm-${OPERATOR.id}`);
    expect(discord.calls('POST', /^\/users\/@me\/channels$/)[0]?.body).toEqual({ recipient_id: OPERATOR.id });
    expect(discord.messages.get(ref.id)?.embeds[0].title).toContain('You are on call');
  });
});

describe('Discord set-up failures and registration', () => {
  let discord: DiscordStandIn;
  beforeAll(async () => { discord = await DiscordStandIn.start({ token: TOKEN }); });
  afterAll(async () => { await discord?.close(); });

  it('refuses to start with a token Discord does not accept, saying why', async () => {
    const err = await startTestBot({ yaml: 'targets: {}\n', env: { DISCORD_TOKEN: 'wrong-token', DISCORD_API_URL: discord.apiUrl } }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/Discord login failed/);
    // And the bad token was not retried in a loop
    expect(discord.calls('GET', /^\/gateway\/bot$/).length).toBe(1);
  });

  it('registers /ops with `opsbot discord-register --guild`', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'discord-register', '--guild', discord.guildId], {
      env: { ...process.env, DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: discord.appId, DISCORD_API_URL: discord.apiUrl, LOG_LEVEL: 'silent', OPSBOT_CONFIG: 'config/default.yaml' },
      timeout: 60_000,
    });
    expect(stdout).toContain(`Registered /ops`);
    expect(stdout).toContain('/ops health [target] [dry-run]');
    const [call] = discord.calls('POST', new RegExp(`^/applications/${discord.appId}/guilds/${discord.guildId}/commands$`));
    expect(call?.auth).toBe(`Bot ${TOKEN}`);
    expect(call?.body.name).toBe('ops');
    expect(commandProblems(call?.body)).toEqual([]);
  });

  it('tells what is missing when DISCORD_APPLICATION_ID is not set', async () => {
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'discord-register'], {
      env: { ...process.env, DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: '', LOG_LEVEL: 'silent' }, timeout: 60_000,
    }).catch((e: unknown) => e as { code: number; stderr: string });
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain('DISCORD_APPLICATION_ID');
  });
});

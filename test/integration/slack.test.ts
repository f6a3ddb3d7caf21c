/**
 * The Slack surface end to end: the real Bolt App on the bot's own HTTP server, fed by requests
 * signed as Slack signs them, talking to a recording Slack Web API and response_url sink.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineCommand } from '../../src/core/command.js';
import type { AuditEntry } from '../../src/core/audit.js';
import { slackLimitViolations } from '../../src/bot/adapters/slack/limits.js';
import { renderSlack } from '../../src/bot/adapters/slack/render.js';
import type { SlackSurface } from '../../src/bot/adapters/slack/surface.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import type { Bot } from '../../src/main.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { waitFor } from '../support/servers.js';

const ACK_WITHIN_MS = 300;
const SLOW_MS = 1_200;

function yaml(tcpPort: number): string {
  return `
targets:
  web:
    environment: production
    health:
      - name: port
        tcp: { host: 127.0.0.1, port: ${tcpPort} }
rbac:
  roles:
    viewer: { allow: [health, slowtest] }
    operator: { allow: ['*'] }
  subjects:
    slack:U0ALICE: [operator]
    slack:usergroup:S0ONCALL: [viewer]
slack:
  ackWithin: ${ACK_WITHIN_MS}
`;
}

const textOf = (v: unknown): string => JSON.stringify(v ?? '');

describe('Slack surface (real Bolt, HTTP mode, protocol-level stand-in)', () => {
  let slack: SlackStandIn;
  let t: TestBot;
  let slowFinishedAt = 0;

  const audit = async (): Promise<AuditEntry[]> => t.bot.audit.list({ limit: 100 });

  beforeAll(async () => {
    slack = await startSlackStandIn();
    slack.usergroups = [{ id: 'S0ONCALL', handle: 'oncall', users: ['U0BOB'] }];
    const port = Number(new URL(slack.apiUrl).port);
    t = await startTestBot({
      yaml: yaml(port),
      env: slackEnv(slack),
      beforeStart: (bot) => {
        bot.registry.register(
          defineCommand({
            name: 'slowtest',
            summary: 'Takes longer than the ack budget',
            params: [],
            schema: z.object({}),
            risk: 'read',
            async run() {
              await new Promise((r) => setTimeout(r, SLOW_MS));
              slowFinishedAt = Date.now();
              return { title: 'Slow work done', status: 'ok', blocks: [{ type: 'text', text: 'finished the slow thing' }], visibility: 'ephemeral' };
            },
          }),
          defineCommand({
            name: 'testack',
            summary: 'Acknowledges a test alert',
            params: [{ name: 'alert', kind: 'positional', type: 'string', required: true, description: 'alert id' }],
            schema: z.object({ alert: z.string() }),
            risk: 'write',
            async run(ctx, a) {
              return { title: `Alert ${a.alert} acknowledged`, status: 'ok', blocks: [{ type: 'text', text: `by ${ctx.subject.id}` }], visibility: 'channel', buttons: [{ label: 'Resolve', command: `testack ${a.alert}` }] };
            },
          }),
        );
      },
    });
  });

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
  });

  beforeEach(() => slack.reset());

  it('verifies its token with auth.test at start and reports the surface ready', async () => {
    // Given the bot started with Slack credentials (beforeAll)
    // When /readyz is asked
    const res = await fetch(`${t.baseUrl}/readyz`);
    const body = (await res.json()) as { checks: Record<string, { ready: boolean }> };
    // Then the Slack surface is listed and ready, and the console did not start
    expect(res.status).toBe(200);
    expect(body.checks['surface:slack']).toEqual({ ready: true });
    expect(t.bot.surfaces.map((s) => s.name)).toEqual(['slack']);
  });

  it('reports a token revoked after start on /readyz, and recovers', async () => {
    const surface = t.bot.surfaces.find((s) => s.name === 'slack') as SlackSurface;
    // Given Slack now refuses the token
    slack.revoked = true;
    try {
      // When the periodic auth.test runs
      await surface.checkAuth();
      // Then /readyz is 503 and says why
      const res = await fetch(`${t.baseUrl}/readyz`);
      const body = (await res.json()) as { checks: Record<string, { ready: boolean; reason?: string }> };
      expect(res.status).toBe(503);
      expect(body.checks['surface:slack']?.reason).toMatch(/auth\.test failed: .*invalid_auth/);
    } finally {
      slack.revoked = false;
    }
    // And once the token works again, ready again
    await surface.checkAuth();
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
  });

  it('answers `help` in the ack, ephemerally, within Slack limits', async () => {
    // When a user types /ops help
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'help', userId: 'U0EVE' });
    // Then the ack itself carries the help, only for the asker
    expect(res.status).toBe(200);
    const ack = res.json as { response_type: string; text: string; blocks: unknown[] };
    expect(ack.response_type).toBe('ephemeral');
    expect(textOf(ack.blocks)).toContain('opsbot commands');
    expect(textOf(ack.blocks)).toContain('slowtest');
    expect(slackLimitViolations(ack)).toEqual([]);
    // And it is audited as that Slack user
    const entry = (await audit()).find((e) => e.command === 'help' && e.subject === 'slack:U0EVE');
    expect(entry).toMatchObject({ surface: 'slack', channel: 'C0OPS', decision: 'allowed', outcome: 'ok' });
  });

  it('reads the command as typed: Slack sends &, < and > as entities', async () => {
    await slack.sendSlashCommand(t.baseUrl, { text: 'help &lt;x&gt; &amp; y', userId: 'U0ALICE' });
    const entry = await waitFor(async () => (await audit()).find((e) => e.command === 'help' && e.line.includes('<x>')), { what: 'audit entry' });
    expect(entry.line).toBe('help <x> & y');
  });

  it('a press of a link button is acknowledged and runs nothing', async () => {
    const before = (await audit()).length;
    const res = await slack.sendBlockAction(t.baseUrl, { value: '', userId: 'U0ALICE', actionId: 'opsbot:link:1' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect((await audit()).length).toBe(before);
    expect(slack.calls).toEqual([]);
  });

  it('runs `health all` for a member of an allowed user group and posts the result in the channel', async () => {
    // Given U0BOB holds no role himself but is in user group S0ONCALL (viewer)
    // When he types /ops health all
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'health all', userId: 'U0BOB', channelId: 'C0OPS' });
    // Then the ack is empty and the result is posted in the channel for the team
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const post = await waitFor(() => slack.callsTo('chat.postMessage')[0], { what: 'chat.postMessage' });
    expect(post.token).toBe(slack.botToken);
    expect(post.args.channel).toBe('C0OPS');
    expect(textOf(post.args.blocks)).toContain('Health: all targets');
    expect(textOf(post.args.blocks)).toContain('web');
    expect(textOf(post.args.blocks)).toContain('by <@U0BOB>');
    expect(slackLimitViolations(post.args as { text: string; blocks: unknown[] })).toEqual([]);
    // And his groups were looked up through the Web API, then served from the cache
    await slack.sendSlashCommand(t.baseUrl, { text: 'health web', userId: 'U0BOB' });
    await waitFor(() => slack.callsTo('chat.postMessage').length === 2, { what: 'second post' });
    expect(slack.callsTo('usergroups.list').length).toBeLessThanOrEqual(1);
    const entries = (await audit()).filter((e) => e.subject === 'slack:U0BOB' && e.command === 'health');
    expect(entries.length).toBe(2);
    expect(entries.every((e) => e.outcome === 'ok')).toBe(true);
  });

  it('acks a slow command at once and answers later through the response_url', async () => {
    // Given a command that takes longer than the ack budget
    const responseUrl = slack.responseUrl('slow');
    // When it is typed
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'slowtest', userId: 'U0ALICE', responseUrl });
    // Then the ack says it is working, before the handler has finished
    expect(res.status).toBe(200);
    const ack = res.json as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain('Working on `slowtest`');
    expect(slowFinishedAt === 0 || slowFinishedAt > res.receivedAt).toBe(true);
    // And the answer arrives later at the response_url
    const later = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'response_url post' });
    expect(later.at).toBeGreaterThanOrEqual(slowFinishedAt);
    expect(later.body.response_type).toBe('ephemeral');
    expect(textOf(later.body.blocks)).toContain('finished the slow thing');
  });

  it('retries the response_url when it answers 500', async () => {
    // Given the response_url fails once
    slack.failNextResponse({ status: 500 });
    const responseUrl = slack.responseUrl('slow-retry');
    // When a slow command is answered later
    await slack.sendSlashCommand(t.baseUrl, { text: 'slowtest', userId: 'U0ALICE', responseUrl });
    // Then the answer still arrives, on the second try
    const later = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'retried response_url post' });
    expect(textOf(later.body.blocks)).toContain('finished the slow thing');
  });

  it('runs a button press as the presser and updates the original message in place', async () => {
    // Given a message the bot posted, with a button carrying a command
    const original = renderSlack({ title: 'Alert a1b2 firing', status: 'fail', blocks: [{ type: 'text', text: 'disk full on web' }], buttons: [{ label: 'Ack', command: 'testack a1b2' }] });
    // When Alice presses it
    const res = await slack.sendBlockAction(t.baseUrl, { value: 'testack a1b2', userId: 'U0ALICE', channelId: 'C0OPS', messageTs: '1700000000.000042', blocks: original.blocks });
    expect(res.status).toBe(200);
    // Then chat.update rewrites that message: the original without its buttons, the outcome, and who did it
    const update = await waitFor(() => slack.callsTo('chat.update')[0], { what: 'chat.update' });
    expect(update.args).toMatchObject({ channel: 'C0OPS', ts: '1700000000.000042' });
    const blocks = update.args.blocks as { type: string; block_id?: string }[];
    expect(textOf(blocks)).toContain('disk full on web');
    expect(textOf(blocks)).toContain('Alert a1b2 acknowledged');
    expect(textOf(blocks)).toContain('by slack:U0ALICE');
    expect(textOf(blocks)).toContain('`testack a1b2` by <@U0ALICE>');
    expect(blocks.filter((b) => b.type === 'actions' && b.block_id === 'opsbot:actions')).toEqual([]);
    expect(slackLimitViolations(update.args as { text: string; blocks: unknown[] })).toEqual([]);
    // And the router ran it as Alice, from Slack
    const entry = (await audit()).find((e) => e.command === 'testack');
    expect(entry).toMatchObject({ subject: 'slack:U0ALICE', surface: 'slack', outcome: 'ok', line: 'testack a1b2' });
  });

  describe('a press must be a button of the message it came with', () => {
    const posted = renderSlack({ title: 'Alert c3d4 firing', status: 'fail', blocks: [{ type: 'text', text: 'disk full on db' }], buttons: [{ label: 'Ack', command: 'testack c3d4' }] });
    const actions = posted.blocks.find((b) => b.type === 'actions') as { block_id: string; elements: { action_id: string; value: string }[] };
    const [ackButton] = actions.elements;

    it.each([
      ['a command the message has no button for', { value: 'testack zz99', blocks: posted.blocks, actionId: ackButton?.action_id, blockId: actions.block_id }, 'not on the message'],
      ['the button\'s command under another action id', { value: 'testack c3d4', blocks: posted.blocks, actionId: 'opsbot:run:7', blockId: actions.block_id }, 'not on the message'],
      ['the button\'s command from another block', { value: 'testack c3d4', blocks: posted.blocks, actionId: ackButton?.action_id, blockId: 'opsbot:title' }, 'not on the message'],
      ['no message at all (not an ephemeral one)', { value: 'testack c3d4', message: false as const }, 'no message'],
    ])('refuses %s: told to the presser, audited, nothing runs', async (_case, press, reason) => {
      // Given a message the bot posted with one button, `testack c3d4`
      const ran = async () => (await audit()).filter((e) => e.command === 'testack').length;
      const refusals = async () => (await audit()).filter((e) => e.decision === 'rejected' && e.origin === 'slack');
      const before = await ran();
      const refusedBefore = (await refusals()).length;
      const responseUrl = slack.responseUrl(`forged-${Math.random().toString(36).slice(2)}`);
      // When a press arrives that is not that button
      const res = await slack.sendBlockAction(t.baseUrl, { ...press, userId: 'U0ALICE', channelId: 'C0OPS', messageTs: '1700000000.000077', responseUrl });
      expect(res.status).toBe(200);
      // Then Alice alone is told it cannot run, with the reason
      const told = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'ephemeral refusal' });
      expect(told.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(textOf(told.body.blocks)).toContain('This button cannot run');
      expect(textOf(told.body.blocks)).toContain(reason);
      // And the refusal is audited with the command it carried, and nothing ran or changed
      const entries = await waitFor(async () => { const r = await refusals(); return r.length > refusedBefore ? r : undefined; }, { what: 'refusal audited' });
      expect(entries).toHaveLength(refusedBefore + 1);
      expect(entries.find((e) => e.line === press.value)).toMatchObject({ surface: 'system', subject: 'slack:U0ALICE', code: 'invalid', command: 'rejected button' });
      expect(await ran()).toBe(before);
      expect(slack.callsTo('chat.update')).toEqual([]);
    });

    it('runs a press on an ephemeral message, which Slack sends without the message', async () => {
      const responseUrl = slack.responseUrl('ephemeral-press');
      await slack.sendBlockAction(t.baseUrl, { value: 'testack e5f6', userId: 'U0ALICE', channelId: 'C0OPS', ephemeral: true, message: false, responseUrl });
      const done = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'outcome through the response_url' });
      expect(textOf(done.body.blocks)).toContain('Alert e5f6 acknowledged');
      const entry = await waitFor(async () => (await audit()).find((e) => e.command === 'testack' && e.line === 'testack e5f6'), { what: 'ran' });
      expect(entry).toMatchObject({ subject: 'slack:U0ALICE', outcome: 'ok' });
    });
  });

  it('denies a user without the role, names the role needed, and audits the denial', async () => {
    // When Eve (no role, no group) types a command she may not run
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'health all', userId: 'U0EVE' });
    // Then only she sees the denial, naming the roles that would allow it
    const ack = res.json as { response_type: string; blocks: unknown[] };
    expect(ack.response_type).toBe('ephemeral');
    expect(textOf(ack.blocks)).toContain('Permission denied');
    expect(textOf(ack.blocks)).toMatch(/viewer|operator/);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    // And a press of a button by Eve is denied too, without touching the message
    const responseUrl = slack.responseUrl('eve-press');
    await slack.sendBlockAction(t.baseUrl, { value: 'testack a1b2', userId: 'U0EVE', responseUrl });
    const denial = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'ephemeral denial' });
    expect(denial.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(textOf(denial.body.blocks)).toContain('operator');
    expect(slack.callsTo('chat.update')).toEqual([]);
    const denied = (await audit()).filter((e) => e.subject === 'slack:U0EVE' && e.decision === 'denied');
    expect(denied.map((e) => e.command).sort()).toEqual(['health', 'testack']);
  });

  it('retries chat.postMessage after the Retry-After of a 429, and after a 500', async () => {
    // Given the Web API answers the next post with 429 Retry-After: 1, then 500
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    slack.failNext('chat.postMessage', { status: 500 });
    // When a channel result is posted
    await slack.sendSlashCommand(t.baseUrl, { text: 'health web', userId: 'U0ALICE' });
    // Then it is tried three times, the second one no sooner than Retry-After allows
    const posts = await waitFor(() => { const c = slack.callsTo('chat.postMessage'); return c.length >= 3 && c; }, { what: 'three posts', timeoutMs: 20_000 });
    expect(posts.map((c) => c.status)).toEqual([429, 500, 200]);
    expect((posts[1] as { at: number }).at - (posts[0] as { at: number }).at).toBeGreaterThanOrEqual(950);
    expect(textOf(posts[2]?.args.blocks)).toContain('Health: web');
  });

  it('posts, updates and direct-messages through the chat gateway', async () => {
    const surface = t.bot.surfaces.find((s) => s.name === 'slack') as SlackSurface;
    // When another part of the bot posts, updates, and sends a DM
    const ref = await surface.post('C0ALERTS', { title: 'Alert x firing', status: 'fail', blocks: [] });
    await surface.update(ref, { title: 'Alert x resolved', status: 'ok', blocks: [] });
    const dm = await surface.directMessage('slack:U0ALICE', { title: 'You are on call', status: 'info', blocks: [] });
    // Then the Web API saw postMessage, update with the ts, and conversations.open before the DM
    expect(ref).toMatchObject({ surface: 'slack', channel: 'C0ALERTS' });
    expect(slack.callsTo('chat.update')[0]?.args).toMatchObject({ channel: 'C0ALERTS', ts: ref.id });
    expect(slack.callsTo('conversations.open')[0]?.args).toMatchObject({ users: 'U0ALICE' });
    expect(dm.channel).toBe('DU0ALICE');
    expect(slack.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'conversations.open', 'chat.postMessage']);
  });

  it('falls back to the response_url when the bot is not in the channel', async () => {
    slack.notInChannel.add('C0PRIVATE');
    const responseUrl = slack.responseUrl('private');
    await slack.sendSlashCommand(t.baseUrl, { text: 'health web', userId: 'U0ALICE', channelId: 'C0PRIVATE', responseUrl });
    const answer = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'in_channel response' });
    expect(answer.body.response_type).toBe('in_channel');
    expect(textOf(answer.body.blocks)).toContain('Health: web');
  });

  it('answers `@opsbot health web` in a thread, and `@opsbot help` only to the asker', async () => {
    // When Alice mentions the bot with a command
    const res = await slack.sendEvent(t.baseUrl, { type: 'app_mention', user: 'U0ALICE', text: '<@U0BOT> health web', ts: '1700000000.000900', channel: 'C0OPS', event_ts: '1700000000.000900' });
    // Then the event is acknowledged at once and the result is posted in a thread of her message
    expect(res.status).toBe(200);
    const post = await waitFor(() => slack.callsTo('chat.postMessage')[0], { what: 'threaded post' });
    expect(post.args).toMatchObject({ channel: 'C0OPS', thread_ts: '1700000000.000900' });
    expect(textOf(post.args.blocks)).toContain('Health: web');
    // And help goes to her alone
    await slack.sendEvent(t.baseUrl, { type: 'app_mention', user: 'U0ALICE', text: '<@U0BOT> help', ts: '1700000000.000901', channel: 'C0OPS', event_ts: '1700000000.000901' });
    const eph = await waitFor(() => slack.callsTo('chat.postEphemeral')[0], { what: 'ephemeral' });
    expect(eph.args).toMatchObject({ channel: 'C0OPS', user: 'U0ALICE' });
    expect(textOf(eph.args.blocks)).toContain('opsbot commands');
  });

  describe('refuses requests Slack did not sign, and runs nothing', () => {
    const body = () => slack.slashCommandBody({ text: 'health all', userId: 'U0ALICE' });

    it.each([
      ['a forged signature', { secret: 'not-the-secret' }, 401],
      ['a missing signature', { signature: null }, 401],
      ['a garbage signature', { signature: 'v0=zz' }, 401],
      ['a replayed timestamp (6 minutes old)', { timestamp: Math.floor(Date.now() / 1000) - 360 }, 401],
      ['a timestamp from the future (6 minutes ahead)', { timestamp: Math.floor(Date.now() / 1000) + 360 }, 401],
      ['a wrong content type', { contentType: 'text/plain' }, 400],
    ] as const)('%s', async (_name, opts, status) => {
      const before = (await audit()).length;
      const res = await slack.sendSigned(t.baseUrl, body(), opts);
      expect(res.status).toBe(status);
      await new Promise((r) => setTimeout(r, 100));
      expect((await audit()).length).toBe(before);
      expect(slack.calls).toEqual([]);
      expect(slack.responses).toEqual([]);
    });

    it('an interaction whose payload is not JSON gets 400', async () => {
      const res = await slack.sendSigned(t.baseUrl, 'payload=%7Bnot-json');
      expect(res.status).toBe(400);
      expect(slack.calls).toEqual([]);
    });

    it('the body is covered by the signature: a body changed after signing is refused', async () => {
      const ts = Math.floor(Date.now() / 1000);
      const { signSlack } = await import('../support/slack.js');
      const signature = signSlack(slack.signingSecret, ts, body());
      const res = await slack.sendSigned(t.baseUrl, body().replace('health', 'restart'), { timestamp: ts, signature });
      expect(res.status).toBe(401);
    });
  });

  it('answers Slack url_verification challenges only when signed', async () => {
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' });
    const ok = await slack.sendSigned(t.baseUrl, challenge, { contentType: 'application/json' });
    expect(ok.json).toEqual({ challenge: 'abc123' });
    const forged = await slack.sendSigned(t.baseUrl, challenge, { contentType: 'application/json', secret: 'wrong' });
    expect(forged.status).toBe(401);
  });
});

describe('Slack surface with a token Slack refuses', () => {
  it('does not start, and says why', async () => {
    const slack = await startSlackStandIn();
    let built: Bot | undefined;
    try {
      await expect(startTestBot({ yaml: '{}', env: { ...slackEnv(slack), SLACK_BOT_TOKEN: 'xoxb-revoked' }, beforeStart: (b) => { built = b; } })).rejects.toThrow(/auth\.test failed: .*invalid_auth/);
      expect(slack.callsTo('auth.test')).toHaveLength(1);
      expect(built?.surfaces.find((s) => s.name === 'slack')?.notReadyReason()).toMatch(/invalid_auth/);
    } finally {
      await built?.stop();
      await slack.close();
    }
  });
});

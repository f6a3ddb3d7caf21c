/**
 * Socket Mode: with SLACK_APP_TOKEN the bot opens the WebSocket URL from apps.connections.open
 * (on SLACK_API_URL) with the real @slack/socket-mode client, and slash commands arrive as
 * envelopes acked over the socket. No /slack/events route is served.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { waitFor } from '../support/servers.js';

describe('Slack surface in Socket Mode (real socket-mode client, stand-in WebSocket)', () => {
  let slack: SlackStandIn;
  let t: TestBot;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    t = await startTestBot({
      yaml: 'rbac:\n  roles:\n    viewer: { allow: [health] }\n  subjects:\n    slack:U0ALICE: [viewer]\n',
      env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.apiUrl },
    });
    await waitFor(() => slack.socketConnected, { what: 'socket mode connection' });
  });

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
  });

  it('connects with the app token and reports ready', async () => {
    expect(slack.callsTo('apps.connections.open')[0]?.token).toBe(slack.appToken);
    const ready = await waitFor(async () => {
      const body = (await (await fetch(`${t.baseUrl}/readyz`)).json()) as { checks: Record<string, { ready: boolean }> };
      return body.checks['surface:slack']?.ready && body;
    }, { what: 'ready' });
    expect(ready.checks['surface:slack']).toEqual({ ready: true });
  });

  it('answers `/ops help` in the envelope ack', async () => {
    const { payload } = await slack.sendEnvelope('slash_commands', slack.slashCommandFields({ text: 'help', userId: 'U0ALICE' }));
    expect(payload).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(payload)).toContain('opsbot commands');
    const entry = (await t.bot.audit.list({ limit: 10 })).find((e) => e.command === 'help');
    expect(entry?.subject).toBe('slack:U0ALICE');
  });

  it('denies a command the user has no role for, in the ack', async () => {
    const { payload } = await slack.sendEnvelope('slash_commands', slack.slashCommandFields({ text: 'audit', userId: 'U0ALICE' }));
    expect(JSON.stringify(payload)).toContain('Permission denied');
  });

  it('does not serve /slack/events in Socket Mode', async () => {
    const res = await fetch(`${t.baseUrl}/slack/events`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(404);
  });
});

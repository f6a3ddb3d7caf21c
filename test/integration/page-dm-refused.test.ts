/**
 * A page to a Discord member who does not accept direct messages from server members: Discord
 * answers 403 with code 50007 ("Cannot send messages to this user"). PLATFORM-LIMITS: fall back to
 * a mention in the channel and say so. Through the real path: an Alertmanager webhook, the
 * escalation's DM page through the outbox, the REST + gateway stand-in refusing the DM.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscordStandIn } from '../support/discord.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/servers.js';

const TOKEN = 'discord-dm-refused-token.abc.def';
const CAROL = '700000000000000042';

const yaml = `
people:
  carol: { discord: "${CAROL}" }
escalationPolicies:
  carol-first:
    steps:
      - { notify: [ { person: carol } ] }
alerting:
  allowUnauthenticated: true
  routes:
    - { name: all, matchers: ['alertname="DiskFull"'], channels: ["discord:c-alerts"], escalation: carol-first }
`;

const payload = JSON.stringify({
  version: '4', groupKey: '{}:{alertname="DiskFull"}', truncatedAlerts: 0, status: 'firing', receiver: 'opsbot',
  groupLabels: { alertname: 'DiskFull' }, commonLabels: { alertname: 'DiskFull', severity: 'critical' }, commonAnnotations: { summary: 'disk full' }, externalURL: 'http://am',
  alerts: [{ status: 'firing', labels: { alertname: 'DiskFull', severity: 'critical' }, annotations: { summary: 'disk full' }, startsAt: '2026-12-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: 'f-disk' }],
});

describe('a page by direct message that Discord refuses (50007)', () => {
  let discord: DiscordStandIn;
  let t: TestBot;

  beforeAll(async () => {
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300 });
    t = await startTestBot({ yaml, env: { DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl } });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).ok, { what: 'the Discord surface ready', timeoutMs: 20_000 });
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await discord?.close();
  });

  it('given carol blocks DMs, when the alert pages her, then the alert channel says the DM was refused and mentions her there', async () => {
    discord.fail({ method: 'POST', path: /^\/users\/@me\/channels$/, status: 403, code: 50007, times: 5 });
    const r = await fetch(`${t.baseUrl}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    expect(r.status).toBe(200);
    const posts = () => discord.calls('POST', /^\/channels\/c-alerts\/messages$/).filter((c) => c.status === 200);
    const notice = await waitFor(() => posts().find((c) => JSON.stringify(c.body).includes('Could not page @carol by direct message')), { what: 'the refused-DM notice in c-alerts', timeoutMs: 20_000 });
    expect(String(notice.body.content)).toContain(`<@${CAROL}>`);
    expect(notice.body.allowed_mentions).toMatchObject({ users: [CAROL] });
    expect(JSON.stringify(notice.body.embeds)).toContain('Discord refused the direct message: 403');
    expect(JSON.stringify(notice.body.embeds)).toContain('(code 50007)');
    expect(JSON.stringify(notice.body.embeds)).not.toContain('/users/@me/channels');
    // The DM was tried once: a 4xx other than 429 is never retried (Discord bans IPs that repeat them).
    expect(discord.calls('POST', /^\/users\/@me\/channels$/)).toHaveLength(1);
  }, 40_000);
});

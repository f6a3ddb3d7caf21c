/**
 * Discord's interaction token lasts 15 minutes (PLATFORM-LIMITS); a command may run longer
 * (`bot.commandTimeout` allows it: a big backup or restore). When the deferred response can no
 * longer be edited (401 Invalid Webhook Token, code 50027), the result is posted in the channel
 * as an ordinary message naming who asked, instead of being lost. The stand-in answers the edit
 * with that error, so the test does not wait 15 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { DiscordStandIn } from '../support/discord.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/servers.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply } from '../../src/core/reply.js';

const TOKEN = 'discord-token-expired.abc.def';
const ALICE = { id: '700000000000000011', username: 'alice', roles: ['800000000000000011'] };

const yaml = `
rbac:
  roles: { operator: { allow: ["*"] } }
  subjects: { "discord:role:800000000000000011": [operator] }
`;

describe('a deferred Discord response whose interaction token expired', () => {
  let discord: DiscordStandIn;
  let t: TestBot;

  beforeAll(async () => {
    discord = await DiscordStandIn.start({ token: TOKEN, heartbeatMs: 300, roles: ALICE.roles });
    t = await startTestBot({
      yaml,
      env: { DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl },
      beforeStart: (bot) => {
        bot.registry.register(defineCommand({
          name: 'longjob',
          summary: 'Outlives Discord\'s first-response deadline, then succeeds or fails',
          params: [{ name: 'end', kind: 'positional', type: 'string', description: 'ok or fail', required: true }],
          schema: z.object({ end: z.enum(['ok', 'fail']) }),
          risk: 'read',
          async run(_ctx, a) {
            await new Promise((r) => setTimeout(r, 2_300));
            return a.end === 'ok' ? { ...textReply('Long job done', 'ok', 'all 40 GB copied'), visibility: 'channel' } : textReply('Long job failed', 'fail', 'disk full at 39 GB');
          },
        }));
      },
    });
    await waitFor(async () => (await fetch(`${t.baseUrl}/readyz`)).status === 200, { what: 'readyz 200', timeoutMs: 20_000 });
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await discord?.close();
  });

  const posted = (channel: string, text: string) => () => discord.calls('POST', new RegExp(`^/channels/${channel}/messages$`)).find((c) => c.status === 200 && JSON.stringify(c.body).includes(text));

  it('given the edit of the deferred response is refused with 50027, then the result is posted in the channel with who asked', async () => {
    discord.fail({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 401, code: 50027, times: 1 });
    discord.slashCommand(ALICE, ['run'], [{ name: 'command', type: 3, value: 'longjob ok' }], { channelId: 'c-long' });
    const msg = await waitFor(posted('c-long', 'Long job done'), { what: 'the result in c-long', timeoutMs: 15_000 });
    const body = JSON.stringify(msg.body);
    expect(body).toContain('all 40 GB copied');
    expect(body).toContain('@alice asked `/ops run`; the interaction expired');
    expect(msg.body.allowed_mentions).toEqual({ parse: [] });
  }, 30_000);

  it('given an asker-only result and the follow-up refused with 50027, then the channel hears only that it ended and the audit ref, not the result', async () => {
    discord.fail({ method: 'DELETE', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 401, code: 50027, times: 1 });
    discord.fail({ method: 'POST', path: /^\/webhooks\/[^/]+\/[^/]+$/, status: 401, code: 50027, times: 1 });
    discord.slashCommand(ALICE, ['run'], [{ name: 'command', type: 3, value: 'longjob fail' }], { channelId: 'c-long2' });
    const msg = await waitFor(posted('c-long2', 'shown only to the asker'), { what: 'the notice in c-long2', timeoutMs: 15_000 });
    const body = JSON.stringify(msg.body);
    expect(body).toContain('Long job failed (shown only to the asker)');
    expect(body).toMatch(/`audit` has it under ref [0-9a-f]{12}/);
    expect(body).not.toContain('disk full at 39 GB');
  }, 30_000);
});

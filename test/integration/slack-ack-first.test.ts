/**
 * `slack.ackWithin: 0`: every slash command is acknowledged with "Working on …" before it runs,
 * and its result follows through the response_url (ephemeral) or as a channel post.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineCommand } from '../../src/core/command.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { waitFor } from '../support/servers.js';

const yaml = `
targets: {}
rbac:
  roles:
    operator: { allow: ['*'] }
  subjects:
    slack:U0ALICE: [operator]
slack:
  ackWithin: 0
`;

describe('Slack slash commands with ackWithin 0 (real Bolt, HTTP mode, stand-in)', () => {
  let slack: SlackStandIn;
  let t: TestBot;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    t = await startTestBot({
      yaml,
      env: slackEnv(slack),
      beforeStart: (bot) => {
        bot.registry.register(defineCommand({
          name: 'posttest', summary: 'Posts in the channel', params: [], schema: z.object({}), risk: 'read',
          async run() {
            return { title: 'Posted result', status: 'ok', blocks: [{ type: 'text', text: 'for everyone' }], visibility: 'channel' };
          },
        }));
      },
    });
  });

  afterAll(async () => {
    await t?.stop();
    await slack?.close();
  });

  beforeEach(() => slack.reset());

  it('given help, when typed, then the ack says it is working and the command list follows through the response_url', async () => {
    const responseUrl = slack.responseUrl('help-first');
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'help', userId: 'U0ALICE', responseUrl });
    expect(res.status).toBe(200);
    const ack = res.json as { response_type: string; text: string; blocks?: unknown };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/^:hourglass_flowing_sand: Working on `help`… \(ref [0-9a-z-]+\)$/);
    expect(ack.blocks).toBeUndefined();
    const later = await waitFor(() => slack.responsesTo(responseUrl)[0], { what: 'response_url post' });
    expect(later.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(later.body.blocks)).toContain('opsbot commands');
    const [entry] = (await t.bot.audit.list({ limit: 10 })).filter((e) => e.command === 'help');
    expect(entry).toMatchObject({ subject: 'slack:U0ALICE', outcome: 'ok' });
  });

  it('given a command with a channel result, when typed, then it is acked before it runs and the result is posted in the channel', async () => {
    const res = await slack.sendSlashCommand(t.baseUrl, { text: 'posttest', userId: 'U0ALICE' });
    expect((res.json as { text: string }).text).toContain('Working on `posttest`');
    const post = await waitFor(() => slack.callsTo('chat.postMessage')[0], { what: 'chat.postMessage' });
    expect(JSON.stringify(post.args.blocks)).toContain('Posted result');
    expect(JSON.stringify(post.args.blocks)).toContain('by <@U0ALICE>');
  });
});

/** Which failures of a direct message are a refusal for good, and in what words, on Slack and Discord. */
import { describe, expect, it } from '@jest/globals';
import { DiscordAPIError } from 'discord.js';
import { ChatDeliveryError, DirectMessageRefused } from '../../src/core/chat.js';
import { classifyDiscordError } from '../../src/bot/adapters/discord/rest.js';
import { discordDmRefusal } from '../../src/bot/adapters/discord/dm-refusal.js';
import { slackDmRefusal } from '../../src/bot/adapters/slack/dm-refusal.js';

const discordError = (status: number, code: number, message: string) =>
  classifyDiscordError(new DiscordAPIError({ code, message }, code, status, 'POST', 'https://discord.com/api/v10/channels/1/messages', { body: {} }));

describe('a refused direct message', () => {
  it('Discord: 403 code 50007 is the member who blocks DMs from server members; other final codes say what Discord said', () => {
    const r = discordDmRefusal(discordError(403, 50007, 'Cannot send messages to this user'));
    expect(r).toBeInstanceOf(DirectMessageRefused);
    expect(r?.reason).toBe('Discord: they do not accept direct messages from server members');
    expect(r?.retryable).toBe(false);
    expect(r?.code).toBe(50007);
    expect(DirectMessageRefused.reasonIn(r?.message)).toBe(r?.reason);
    expect(discordDmRefusal(discordError(400, 50109, 'The request body contains invalid JSON.'))?.reason).toBe('Discord: the direct message was refused (400 The request body contains invalid JSON., code 50109)');
  });

  it('Discord: a 429, a 5xx or a network error is no refusal (it is retried)', () => {
    expect(discordDmRefusal(new ChatDeliveryError('rate limited', 429, 1000, true))).toBeUndefined();
    expect(discordDmRefusal(new ChatDeliveryError('POST: 502 Bad Gateway', 502, undefined, true))).toBeUndefined();
    expect(discordDmRefusal(classifyDiscordError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })))).toBeUndefined();
  });

  it('Slack: the platform errors of a DM read as words; retryable ones are no refusal', () => {
    expect(slackDmRefusal(new ChatDeliveryError('conversations.open: cannot_dm_bot', 'cannot_dm_bot'))?.reason).toBe('Slack: that user is a bot and cannot be sent direct messages');
    expect(slackDmRefusal(new ChatDeliveryError('conversations.open: user_not_found', 'user_not_found'))?.reason).toBe('Slack: there is no such user in the workspace');
    expect(slackDmRefusal(new ChatDeliveryError('chat.postMessage: messages_tab_disabled', 'messages_tab_disabled'))?.reason).toBe('Slack: they turned off direct messages from apps (Messages tab disabled)');
    expect(slackDmRefusal(new ChatDeliveryError('conversations.open: something_new', 'something_new'))?.reason).toBe('Slack: the direct message was refused (conversations.open: something_new)');
    expect(slackDmRefusal(new ChatDeliveryError('conversations.open: internal_error', 'internal_error', undefined, true))).toBeUndefined();
    expect(slackDmRefusal(new ChatDeliveryError('rate limited by Slack', 429, 2000, true))).toBeUndefined();
    expect(slackDmRefusal(new Error('conversations.open gave no channel for U1'))).toBeUndefined();
  });

  it('the reason is read back from a message that is not a refusal as nothing', () => {
    expect(DirectMessageRefused.reasonIn('internal error')).toBeUndefined();
    expect(DirectMessageRefused.reasonIn(undefined)).toBeUndefined();
  });
});

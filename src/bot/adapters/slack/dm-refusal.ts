/**
 * A direct message Slack refused for good, in words: `conversations.open` / `chat.postMessage`
 * to a user answers `{ok:false, error}` with codes such as `cannot_dm_bot`, `user_not_found`,
 * `user_disabled` or `messages_tab_disabled`. Only final errors count; a 429, 5xx or network
 * error is retried by the one delivery policy and never becomes a refusal.
 */
import { ChatDeliveryError, DirectMessageRefused } from '../../../core/chat.js';

/** Slack's error codes a direct message meets, in the words the channel is told. */
const REASONS: Record<string, string> = {
  cannot_dm_bot: 'that user is a bot and cannot be sent direct messages',
  user_not_found: 'there is no such user in the workspace',
  user_not_visible: 'the bot cannot see that user',
  user_disabled: 'the account is deactivated',
  messages_tab_disabled: 'they turned off direct messages from apps (Messages tab disabled)',
  not_allowed_token_type: 'the bot token may not open direct messages',
  missing_scope: 'the app lacks the scope to open direct messages (im:write, chat:write)',
  restricted_action: 'a workspace policy forbids the bot to message them',
  channel_not_found: 'the direct message channel does not exist',
  is_archived: 'the direct message channel is archived',
  not_in_channel: 'the bot is not in the direct message channel',
};

/** The refusal a final error of a direct message stands for; undefined for anything retryable. */
export function slackDmRefusal(e: unknown): DirectMessageRefused | undefined {
  if (e instanceof DirectMessageRefused) return e;
  if (!(e instanceof ChatDeliveryError) || e.retryable || e.retryAfterMs !== undefined) return undefined;
  const words = typeof e.code === 'string' ? REASONS[e.code] : undefined;
  return new DirectMessageRefused(e.message, e.code, `Slack: ${words ?? `the direct message was refused (${e.message})`}`);
}

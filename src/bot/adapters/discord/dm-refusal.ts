/**
 * A direct message Discord refused for good, in words: a member who blocks DMs from server
 * members answers 403 with JSON code 50007 ("Cannot send messages to this user"). Only final
 * errors count; a 429 or 5xx is retried by the one delivery policy and never becomes a refusal.
 */
import { DiscordAPIError } from 'discord.js';
import { ChatDeliveryError, DirectMessageRefused } from '../../../core/chat.js';

/** Discord's JSON error codes a direct message meets, in the words the channel is told. */
const REASONS: Record<number, string> = {
  50007: 'they do not accept direct messages from server members',
  10013: 'there is no such user',
  50033: 'the recipient is not valid',
  40003: 'too many direct messages were opened too fast',
};

/** The refusal a final error of a direct message stands for; undefined for anything retryable. */
export function discordDmRefusal(e: unknown): DirectMessageRefused | undefined {
  if (e instanceof DirectMessageRefused) return e;
  if (!(e instanceof ChatDeliveryError) || e.retryable || e.retryAfterMs !== undefined) return undefined;
  const api = e.cause instanceof DiscordAPIError ? e.cause : undefined;
  const code = typeof api?.code === 'number' ? api.code : undefined;
  const words = code !== undefined ? REASONS[code] : undefined;
  const reason = `Discord: ${words ?? `the direct message was refused (${api ? `${api.status} ${api.message}, code ${api.code}` : e.message})`}`;
  return new DirectMessageRefused(e.message, code ?? e.code, reason);
}

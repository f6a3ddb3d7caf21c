/**
 * The chat-gateway interface the rest of the bot uses to post, update and direct-message
 * (alerts, escalations, scheduled jobs). Every surface implements it; core never sees a platform.
 */
import type { Reply } from './reply.js';

export interface MessageRef {
  surface: string;
  channel: string;
  /** Platform message id: Slack `ts`, Discord message id, console sequence number. */
  id: string;
  /** Thread root, where the platform has threads. */
  thread?: string;
}

export interface ChatGateway {
  /** `slack`, `discord`, `console`. */
  readonly name: string;
  post(channel: string, reply: Reply, options?: { thread?: string }): Promise<MessageRef>;
  update(ref: MessageRef, reply: Reply): Promise<void>;
  directMessage(user: string, reply: Reply): Promise<MessageRef>;
}

/** A failed chat API call, classified for the outbox's retry policy. */
export class ChatDeliveryError extends Error {
  constructor(
    message: string,
    /** HTTP status or platform error code. */
    public readonly code: string | number,
    /** Retry after this long (429 Retry-After); undefined when a retry is pointless (4xx). */
    public readonly retryAfterMs?: number,
    public readonly retryable: boolean = false,
  ) {
    super(message);
    this.name = 'ChatDeliveryError';
  }
}

/** How a refusal's message begins (`direct message refused: <reason> [<platform detail>]`). */
const REFUSED = 'direct message refused:';

/**
 * A direct message the platform refused for good (a Discord member who blocks DMs from server
 * members, a Slack user who cannot be messaged): final, never retried. `reason` says why in words
 * people read (`Discord: they do not accept direct messages from server members`); the page
 * falls back to a mention in the alert's channels.
 */
export class DirectMessageRefused extends ChatDeliveryError {
  constructor(
    /** The platform's own words (`POST /channels/…/messages: 403 Cannot send messages to this user`). */
    detail: string,
    code: string | number,
    /** Why, as the channel is told: `<Surface>: <what the platform said, in words>`. */
    public readonly reason: string,
  ) {
    super(`${REFUSED} ${reason} [${detail}]`, code, undefined, false);
    this.name = 'DirectMessageRefused';
  }

  /** The reason kept in a refusal's message (an outbox item's `lastError`), if it is one. */
  static reasonIn(message: string | undefined): string | undefined {
    if (!message?.startsWith(REFUSED)) return undefined;
    const end = message.indexOf(' [', REFUSED.length);
    return end > REFUSED.length ? message.slice(REFUSED.length + 1, end) : undefined;
  }
}

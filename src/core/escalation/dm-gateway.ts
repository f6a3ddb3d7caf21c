/**
 * Direct messages through the outbox: a gateway named `dm` whose channels are identities
 * (`dm:slack:U0ALICE`, `dm:discord:user:140000000000000001`). Posting opens the DM on that
 * identity's surface (Slack `conversations.open`, Discord `users/@me/channels`); the message ref
 * it returns is the DM channel's, so later updates (the page after an ack) go to the same message.
 */
import { ChatDeliveryError, type ChatGateway, type MessageRef } from '../chat.js';
import type { Reply } from '../reply.js';

export const DM_SURFACE = 'dm';

/** The outbox channel address of a direct message to an identity (a subject id). */
export const dmAddress = (identity: string) => `${DM_SURFACE}:${identity}`;

type Gateway = ChatGateway & { notReadyReason?(): string | undefined };

export class DirectMessageGateway implements ChatGateway {
  readonly name = DM_SURFACE;

  /** `gateways`: surface name → gateway, looked up at each call (surfaces are added after wiring). */
  constructor(private readonly gateways: ReadonlyMap<string, Gateway>) {}

  private gatewayOf(surface: string): Gateway {
    const g = surface === DM_SURFACE ? undefined : this.gateways.get(surface);
    const notReady = g ? g.notReadyReason?.() : `surface ${surface} is not connected`;
    // Retryable: the outbox backs off and tries again, the page is not lost while a surface reconnects.
    if (!g || notReady) throw new ChatDeliveryError(`direct message to ${surface} waits: ${notReady ?? 'not connected'}`, 'not_ready', undefined, true);
    return g;
  }

  async post(identity: string, reply: Reply): Promise<MessageRef> {
    const surface = identity.split(':')[0] ?? '';
    return this.gatewayOf(surface).directMessage(identity, reply);
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    await this.gatewayOf(ref.surface).update(ref, reply);
  }

  async directMessage(identity: string, reply: Reply): Promise<MessageRef> {
    return this.post(identity, reply);
  }
}

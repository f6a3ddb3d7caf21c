/**
 * What the approvals service tells others: the request message in every channel it is posted to
 * (posted once, then updated in place through the outbox), the requester where they asked, and
 * the `onDecided` listeners.
 */
import type { Reply } from '../reply.js';
import { errorMessage } from '../errors.js';
import type { ApprovalDecided } from './port.js';
import type { ApprovalRequest } from './request.js';
import { requestMessage } from './render.js';
import type { ApprovalContext } from './context.js';

const DEFAULT_SURFACES = ['slack', 'discord', 'console'];

export class ApprovalMessages {
  private readonly listeners = new Set<(e: ApprovalDecided) => void | Promise<void>>();

  constructor(private readonly ctx: ApprovalContext) {}

  onDecided(listener: (e: ApprovalDecided) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** `<surface>:<channel>` where it was asked, when that surface has a chat gateway. */
  askedChannel(surface: string, channel: string | undefined): string | undefined {
    return channel && (this.ctx.o.chatSurfaces ?? DEFAULT_SURFACES).includes(surface) ? `${surface}:${channel}` : undefined;
  }

  /** The request message in every channel it is posted to: posted once, then updated in place. */
  async post(req: ApprovalRequest): Promise<void> {
    const reply = this.ctx.o.redactor.reply(requestMessage(req));
    for (const ch of req.channels) await this.ctx.o.messages.enqueue(`a:${req._id}:${ch}`, ch, reply);
  }

  /** The approved command's result, in the thread of the request message in every channel. */
  async postResult(req: ApprovalRequest, reply: Reply): Promise<void> {
    for (const ch of req.channels) await this.ctx.o.messages.enqueue(`a:${req._id}:${ch}:result`, ch, reply, { kind: 'reply', parent: `a:${req._id}:${ch}` });
  }

  /** The requester hears how it ended where they asked, when that is not where the request was posted. */
  async tellRequester(req: ApprovalRequest, reply: Reply): Promise<void> {
    const asked = this.askedChannel(req.surface, req.askedChannel);
    if (!asked || req.channels.includes(asked)) return;
    await this.ctx.o.messages.enqueue(`a:${req._id}:asker`, asked, this.ctx.o.redactor.reply({ ...reply, buttons: [] }));
  }

  async emit(e: ApprovalDecided): Promise<void> {
    for (const l of [...this.listeners]) {
      try {
        await l(e);
      } catch (err) {
        this.ctx.o.log.error({ err, approval: e.requestId }, `approval listener failed: ${errorMessage(err)}`);
      }
    }
  }
}

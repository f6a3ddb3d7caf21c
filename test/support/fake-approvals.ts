/**
 * A stand-in for the approvals service (until it is merged): a Gate that holds every invocation
 * marked `approval: 'required'`, and ApprovalEvents that, when a test decides a request, run the
 * held command through the router as the approvals service would (as the requester, with
 * `approval: 'approved:<id>'` and the original parent) and tell the listeners. Records what it held.
 */
import type { ApprovalDecided, ApprovalEnd, ApprovalEvents } from '../../src/core/approvals/port.js';
import type { CommandRunner, Gate, Invocation } from '../../src/core/invocation.js';
import { textReply } from '../../src/core/reply.js';

export interface HeldRequest {
  id: string;
  invocation: Invocation;
  invocationId: string;
}

export class FakeApprovals {
  readonly held: HeldRequest[] = [];
  private readonly listeners = new Set<(e: ApprovalDecided) => void | Promise<void>>();
  private runner: CommandRunner | undefined;
  private n = 0;

  readonly gate: Gate = async ({ invocation, invocationId }) => {
    if (invocation.approval !== 'required') return undefined;
    const id = `r${(++this.n).toString(36)}${'k2'}`;
    this.held.push({ id, invocation, invocationId });
    return { reply: textReply(`Approval needed: ${invocation.line}`, 'warn', `request ${id}`, 'channel'), approval: id };
  };

  readonly events: ApprovalEvents = {
    onDecided: (listener) => {
      this.listeners.add(listener);
      return () => { this.listeners.delete(listener); };
    },
  };

  bind(runner: CommandRunner): void {
    this.runner = runner;
  }

  /** Decides a held request; an approved one runs first, then every listener hears it. */
  async decide(id: string, state: ApprovalEnd): Promise<void> {
    const req = this.held.find((h) => h.id === id);
    if (!req) throw new Error(`no held request ${id}`);
    const parent = req.invocation.parentId;
    let result;
    if (state === 'approved') {
      if (!this.runner) throw new Error('FakeApprovals: bind(router.runner) first');
      result = await this.runner.run(req.invocation.line, {
        subject: req.invocation.subject, surface: req.invocation.surface, parentInvocationId: parent ?? req.invocationId,
        approval: `approved:${id}`, ...(req.invocation.channel ? { channel: req.invocation.channel } : {}),
      });
    }
    for (const l of this.listeners) await l({ requestId: id, state, ...(parent ? { parentInvocationId: parent } : {}), ...(result ? { result } : {}) });
  }
}

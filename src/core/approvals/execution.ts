/**
 * The one execution of an approved command: claimed by compare-and-set `approved` → `executing`
 * (one actor wins, in this process or another), run through the router as the requester with the
 * approval recorded, then `executed` with its result. At start-up, executions whose process is
 * gone or whose deadline passed are marked `interrupted`, never re-run.
 */
import type { CommandRunner, RouterResult } from '../invocation.js';
import { DEADLINE_GRACE_MS } from '../audit/log.js';
import { ownerGone } from '../audit/owner.js';
import type { ApprovalRequest, ApprovalState } from './request.js';
import { requestMessage, resultMessage } from './render.js';
import { CAS_RETRIES, type ApprovalContext } from './context.js';
import type { ApprovalMessages } from './messages.js';

export class ApprovalExecution {
  /** The router's runner, through which approved commands run (set once the router exists). */
  runner: CommandRunner | undefined;

  constructor(private readonly ctx: ApprovalContext, private readonly messages: ApprovalMessages) {}

  /** Starts the execution in the background (the approver's answer does not wait for it). */
  begin(id: string): void {
    void this.ctx.track(this.execute(id));
  }

  /** Runs the approved command once, then posts its result in the thread and to the requester. */
  async execute(id: string): Promise<void> {
    const { ctx } = this;
    const req = await ctx.c.findOne({ _id: id });
    if (!req || req.state !== 'approved') return;
    const startedAt = ctx.o.clock.date();
    const claim = await ctx.c.updateOne({ _id: id, version: req.version, state: 'approved' }, {
      $set: { state: 'executing', owner: ctx.owner, deadline: new Date(startedAt.getTime() + ctx.o.commandTimeoutMs + DEADLINE_GRACE_MS), execution: { startedAt } },
      $inc: { version: 1 },
    });
    if (claim.matched === 0) return;
    const runner = this.runner;
    let result: RouterResult;
    if (!runner) {
      result = { invocationId: req.invocationId, outcome: 'error', reply: { title: 'Not run', status: 'error', blocks: [] }, error: { code: 'internal', message: 'the approvals service has no runner' } };
    } else {
      result = await runner.run(req.line, {
        subject: req.requester, surface: req.surface, ...(req.askedChannel ? { channel: req.askedChannel } : {}),
        parentInvocationId: req.invocationId, approval: `approved:${id}`,
      });
    }
    const execution = {
      invocationId: result.invocationId, startedAt, finishedAt: ctx.o.clock.date(), outcome: result.outcome,
      ...(result.error ? { code: result.error.code, message: result.error.message.slice(0, 300) } : {}),
    };
    const after = await this.finish(id, execution);
    if (after) {
      await this.messages.post(after);
      const reply = ctx.o.redactor.reply(resultMessage(after, result.reply));
      await this.messages.postResult(after, reply);
      await this.messages.tellRequester(after, reply);
    }
    await this.messages.emit({ requestId: id, state: 'approved', ...(req.parentInvocationId ? { parentInvocationId: req.parentInvocationId } : {}), result });
  }

  /** executing → executed (also over an `interrupted` mark made meanwhile: the outcome is known after all). */
  private async finish(id: string, execution: NonNullable<ApprovalRequest['execution']>): Promise<ApprovalRequest | undefined> {
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const cur = await this.ctx.c.findOne({ _id: id });
      if (!cur || (cur.state !== 'executing' && cur.state !== 'interrupted')) return undefined;
      const r = await this.ctx.c.updateOne({ _id: id, version: cur.version }, { $set: { state: 'executed', execution }, $unset: { interruption: true }, $inc: { version: 1 } });
      if (r.matched === 1) return { ...cur, state: 'executed', execution, version: cur.version + 1 };
    }
    return undefined;
  }

  /**
   * Approved or executing records whose process is gone (this host, pid dead or reused) or whose
   * deadline passed: `interrupted`, told to the channel and listeners, never re-run.
   */
  async markInterrupted(): Promise<number> {
    const { ctx } = this;
    await ctx.init();
    let marked = 0;
    const now = ctx.o.clock.now();
    for (const req of await ctx.c.find({ state: { $in: ['approved', 'executing'] } })) {
      const gone = req.owner ? ownerGone(req.owner, ctx.owner, ctx.alive) : false;
      const late = req.deadline ? new Date(req.deadline).getTime() < now : false;
      if (!gone && !late) continue;
      const interruption = gone
        ? `its process (pid ${req.owner?.pid} on ${req.owner?.host}) ended ${req.state === 'executing' ? 'while it was running' : 'before it started'}`
        : 'it did not finish before its deadline';
      const r = await ctx.c.updateOne({ _id: req._id, version: req.version, state: req.state as ApprovalState }, { $set: { state: 'interrupted', interruption }, $inc: { version: 1 } });
      if (r.matched === 0) continue;
      marked++;
      const after = { ...req, state: 'interrupted' as const, interruption, version: req.version + 1 };
      ctx.o.log.warn({ approval: req._id, was: req.state }, `approved command interrupted: ${interruption}`);
      await ctx.o.audit.systemEvent({ action: 'approval.interrupted', message: `${req._id}: ${interruption}`, detail: { request: req._id, invocationId: req.invocationId, was: req.state } });
      await this.messages.post(after);
      await this.messages.tellRequester(after, requestMessage(after));
      await this.messages.emit({ requestId: req._id, state: 'interrupted', ...(req.parentInvocationId ? { parentInvocationId: req.parentInvocationId } : {}) });
    }
    return marked;
  }
}

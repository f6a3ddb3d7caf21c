/**
 * The approvals service: the gate that holds a command matched by a policy, the request record
 * (changed only by compare-and-set on its `version`), the approve / deny / cancel decisions, the
 * one execution of an approved command through the router, expiry on the injected clock, and
 * recovery at start-up (pending timers recomputed, cut-short executions marked `interrupted`).
 */
import type { Logger } from 'pino';
import type { AnyCommand, Subject } from '../command.js';
import type { CommandRunner, Gate, GateHold, RouterResult } from '../invocation.js';
import type { Collection, Store } from '../store/types.js';
import { isDuplicateKey } from '../store/types.js';
import type { Clock, Timer } from '../clock.js';
import type { AuditLog } from '../audit/log.js';
import { DEADLINE_GRACE_MS } from '../audit/log.js';
import type { AuditOwner } from '../audit/entry.js';
import { ownerGone, pidAlive, thisProcess } from '../audit/owner.js';
import { roleReaches, type Rbac } from '../rbac.js';
import type { Redactor } from '../redact.js';
import type { Reply } from '../reply.js';
import { UserError, errorMessage } from '../errors.js';
import type { ApprovalDecided, ApprovalEnd, ApprovalEvents } from './port.js';
import { policyFor, type ApprovalPolicy, type ApprovalsPolicyConfig } from './policy.js';
import { actorName, newRequestId, personKey, type Actor, type ApprovalRequest, type ApprovalState } from './request.js';
import { breakGlassMessage, heldReply, requestMessage, resultMessage } from './render.js';

/** Where messages go: the outbox (one document per message key; the same key again updates it in place). */
export interface MessageQueue {
  enqueue(key: string, channel: string, reply: Reply, opts?: { kind?: 'message' | 'reply'; parent?: string; priority?: number }): Promise<void>;
}

export interface ApprovalServiceOptions {
  store: Store;
  config: ApprovalsPolicyConfig;
  rbac: Rbac;
  environmentOf: (target: string) => string | undefined;
  messages: MessageQueue;
  audit: AuditLog;
  redactor: Redactor;
  log: Logger;
  clock: Clock;
  /** Longest an approved command may run before its record may read `interrupted` (plus a grace). */
  commandTimeoutMs: number;
  /** Surfaces that have a chat gateway (requests asked elsewhere go to the policy channel only). */
  chatSurfaces?: readonly string[];
  owner?: AuditOwner;
  alive?: (pid: number) => boolean;
}

const CAS_RETRIES = 20;
const DEFAULT_SURFACES = ['slack', 'discord', 'console'];

export class ApprovalService implements ApprovalEvents {
  private readonly c: Collection<ApprovalRequest>;
  private readonly listeners = new Set<(e: ApprovalDecided) => void | Promise<void>>();
  private readonly timers = new Map<string, Timer>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly owner: AuditOwner;
  private readonly alive: (pid: number) => boolean;
  private runnerRef: CommandRunner | undefined;
  private ready: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: ApprovalServiceOptions) {
    this.c = o.store.collection<ApprovalRequest>('approvals');
    this.owner = o.owner ?? thisProcess;
    this.alive = o.alive ?? pidAlive;
  }

  /** The router's runner, through which approved commands run (set once the router exists). */
  set runner(r: CommandRunner) {
    this.runnerRef = r;
  }

  /** The gate for the router. */
  readonly gate: Gate = (call) => this.hold(call);

  onDecided(listener: (e: ApprovalDecided) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([this.c.createIndex({ state: 1 }), this.c.createIndex({ createdAt: -1 })]).then(() => undefined);
    return this.ready;
  }

  /** After a restart: executions cut short are `interrupted`; pending requests expire on time (overdue ones now). */
  async start(): Promise<void> {
    await this.init();
    this.stopped = false;
    await this.markInterrupted();
    for (const r of await this.c.find({ state: 'pending' })) this.schedule(r);
  }

  /** Stops the timers and waits for executions under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await this.settled();
  }

  /** Resolves when nothing this service started (executions, expiries, messages) is still running. */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.then(() => this.running.delete(p), () => this.running.delete(p));
    return p;
  }

  async find(id: string): Promise<ApprovalRequest | null> {
    await this.init();
    return this.c.findOne({ _id: id.trim().toLowerCase() });
  }

  /** Newest first: open ones, or (all) every one. */
  async list(opts: { all?: boolean; limit?: number } = {}): Promise<ApprovalRequest[]> {
    await this.init();
    const filter = opts.all ? {} : { state: { $in: ['pending', 'approved', 'executing'] } };
    return this.c.find(filter, { sort: { createdAt: -1 }, limit: opts.limit ?? 50 });
  }

  // --- the gate --------------------------------------------------------------------------------

  private async hold(call: Parameters<Gate>[0] & { reason?: string | undefined }): Promise<GateHold | undefined> {
    const { invocation, command, target } = call;
    const subject = invocation.subject;
    if (invocation.approval?.startsWith('approved:')) {
      await this.checkApprovedExecution(invocation.approval.slice('approved:'.length), invocation.line);
      return undefined;
    }
    const environment = target ? this.o.environmentOf(target) : undefined;
    const found = policyFor(this.o.config, { command, target, environment, required: invocation.approval === 'required' });
    if (!found) return undefined;
    if ('missingDefault' in found) throw new UserError('denied', `\`${command.name}\` must be approved before it runs, but no approvals rule matches it and approvals.default is not configured. Nothing was run.`);
    const { policy, rule } = found;
    const breakGlass = this.o.config.breakGlass;
    if (breakGlass && this.o.rbac.rolesOf(subject).includes(breakGlass)) {
      await this.breakGlass(call, policy, breakGlass, environment);
      return undefined;
    }
    const reason = call.reason?.trim() || undefined;
    if (policy.reason === 'required' && !reason) {
      throw new UserError('usage', `\`${command.name}\`${target ? ` on ${target}` : ''} needs approval, and approvals.${rule} requires a reason: add --reason "why" to the command.`);
    }
    const description = await this.describe(command, call.args, subject);
    const now = this.o.clock.date();
    const asked = this.askedChannel(invocation.surface, invocation.channel);
    const channels = [policy.channel ?? asked].filter((c): c is string => Boolean(c));
    const base: Omit<ApprovalRequest, '_id'> = {
      line: invocation.line, command: command.name, risk: command.risk,
      ...(target ? { target } : {}), ...(environment ? { environment } : {}),
      requester: subject, surface: invocation.surface,
      ...(invocation.channel ? { askedChannel: invocation.channel } : {}),
      invocationId: call.invocationId, ...(invocation.parentId ? { parentInvocationId: invocation.parentId } : {}),
      description, ...(reason ? { reason } : {}), rule,
      approverRoles: [...policy.approvers], count: policy.count, channels, approvals: [],
      createdAt: now, expiresAt: new Date(now.getTime() + policy.expires), state: 'pending', version: 1,
    };
    const req = await this.insert(base);
    this.o.log.info({ approval: req._id, command: command.name, target, requester: subject.id }, 'approval requested');
    await this.o.audit.systemEvent({ action: 'approval.requested', subject: subject.id, message: `${req._id}: ${req.line}`, detail: { request: req._id, invocationId: req.invocationId, target, environment, rule, approvers: req.approverRoles, count: req.count } });
    await this.post(req);
    this.schedule(req);
    return { reply: heldReply(req), approval: req._id };
  }

  private async insert(base: Omit<ApprovalRequest, '_id'>): Promise<ApprovalRequest> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.c.insertOne({ ...base, _id: newRequestId() });
      } catch (e) {
        if (!isDuplicateKey(e) || attempt > 20) throw e;
      }
    }
  }

  /** The execution the service itself started: the request must be `executing` for this exact line. */
  private async checkApprovedExecution(id: string, line: string): Promise<void> {
    const req = await this.find(id);
    if (!req || req.state !== 'executing' || req.line !== line) {
      throw new UserError('denied', `approval ${id} does not cover \`${line}\` now${req ? ` (it is ${req.state})` : ''}. Nothing was run.`);
    }
  }

  private async describe(command: AnyCommand, args: unknown, subject: Subject): Promise<string> {
    const access = this.o.rbac.accessFor(subject, command.permission ?? command.name, this.o.environmentOf);
    try {
      const what = command.describe ? await command.describe(args as never, access) : `run \`${command.name}\` with ${JSON.stringify(this.o.redactor.value(args))}`;
      return this.o.redactor.text(what);
    } catch (e) {
      // A description that fails (an unknown target) is shown as such: nobody approves blindly.
      return `(its dry run could not say: ${errorMessage(e)})`;
    }
  }

  private askedChannel(surface: string, channel: string | undefined): string | undefined {
    return channel && (this.o.chatSurfaces ?? DEFAULT_SURFACES).includes(surface) ? `${surface}:${channel}` : undefined;
  }

  private async breakGlass(call: Parameters<Gate>[0], policy: ApprovalPolicy, role: string, environment: string | undefined): Promise<void> {
    const { invocation, target, invocationId } = call;
    const who = actorName(invocation.subject);
    this.o.log.warn({ invocationId, subject: invocation.subject.id, line: this.o.redactor.text(invocation.line), role }, 'break-glass: running a command that needs approval without one');
    await this.o.audit.systemEvent({ action: 'approval.break-glass', subject: invocation.subject.id, message: `break-glass (${role}): ${invocation.line}`, detail: { invocationId, target, environment, role } });
    const channel = policy.channel ?? this.askedChannel(invocation.surface, invocation.channel);
    if (channel) await this.o.messages.enqueue(`bg:${invocationId}`, channel, this.o.redactor.reply(breakGlassMessage({ line: invocation.line, who, role, target, environment, invocationId })));
  }

  // --- decisions -------------------------------------------------------------------------------

  /** The approver's authority: an approver role held whose targets and environments reach the request. */
  private authority(req: ApprovalRequest, subject: Subject): string | undefined {
    return this.o.rbac.rolesOf(subject).find((name) => {
      const role = this.o.rbac.role(name);
      return req.approverRoles.includes(name) && role !== undefined && roleReaches(role, { ...(req.target ? { target: req.target } : {}), ...(req.environment ? { environment: req.environment } : {}) }, this.o.environmentOf);
    });
  }

  private actor(subject: Subject): Actor {
    return { subject: subject.id, ...(subject.person ? { person: subject.person } : {}), ...(subject.display ? { display: subject.display } : {}), at: this.o.clock.date() };
  }

  /** A request that can still be decided, or a UserError saying why not (and an overdue one expired on the way). */
  private async open(id: string): Promise<ApprovalRequest> {
    const req = await this.find(id);
    if (!req) throw new UserError('not_found', `No approval request ${id}. \`approvals\` lists the open ones.`);
    if (req.state === 'pending' && req.expiresAt.getTime() <= this.o.clock.now()) {
      await this.expire(req._id);
      throw new UserError('expired', `Approval request ${req._id} expired at ${req.expiresAt.toISOString()}. Nothing was run.`);
    }
    if (req.state !== 'pending') throw new UserError('conflict', `Approval request ${req._id} is already ${req.state}${decidedBy(req)}. Nothing more was done.`);
    return req;
  }

  /**
   * One approval. The record changes only by compare-and-set (pending, same version); the press
   * that completes the count moves it to `approved` and starts the one execution. Returns at once.
   */
  async approve(id: string, who: Subject): Promise<Reply> {
    const subject = this.o.rbac.people.resolve(who);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.open(id);
      if (personKey(req.requester) === personKey(subject)) {
        throw new UserError('denied', `You asked for ${req._id} yourself${subject.id !== req.requester.id ? ` (as ${req.requester.id})` : ''}: someone else must approve it. Nothing was run.`);
      }
      const role = this.authority(req, subject);
      if (!role) throw this.noAuthority(req, subject, 'approve');
      if (req.approvals.some((a) => personKey(a) === personKey(subject))) {
        throw new UserError('conflict', `You already approved ${req._id}; it needs ${req.count - req.approvals.length} more approval(s) from someone else.`);
      }
      const approvals = [...req.approvals, this.actor(subject)];
      const done = approvals.length >= req.count;
      const now = this.o.clock.date();
      const r = await this.c.updateOne({ _id: req._id, version: req.version, state: 'pending' }, {
        $set: {
          approvals,
          ...(done ? { state: 'approved', decidedAt: now, owner: this.owner, deadline: new Date(now.getTime() + this.o.commandTimeoutMs + DEADLINE_GRACE_MS) } : {}),
        },
        $inc: { version: 1 },
      });
      if (r.matched === 0) continue;
      const after: ApprovalRequest = { ...req, approvals, version: req.version + 1, ...(done ? { state: 'approved' as const, decidedAt: now, owner: this.owner } : {}) };
      await this.o.audit.systemEvent({ action: 'approval.approved', subject: subject.id, message: `${req._id} approved by ${actorName(subject)} (role ${role})`, detail: { request: req._id, invocationId: req.invocationId, role, count: `${approvals.length}/${req.count}` } });
      await this.post(after);
      if (done) {
        this.cancelTimer(req._id);
        void this.track(this.execute(req._id));
        return { title: `Approved ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `\`${req.line}\` runs now as ${actorName(req.requester)}; its result is posted in the request's thread.` }], visibility: 'ephemeral' };
      }
      return { title: `Approval recorded for ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `${approvals.length} of ${req.count}: it needs ${req.count - approvals.length} more approval(s) from someone else.` }], visibility: 'ephemeral' };
    }
    throw new UserError('conflict', `Approval request ${id} is changing under many hands; try again.`);
  }

  async deny(id: string, who: Subject, reason: string | undefined): Promise<Reply> {
    const subject = this.o.rbac.people.resolve(who);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.open(id);
      if (personKey(req.requester) === personKey(subject)) {
        throw new UserError('denied', `That is your own request: withdraw it with \`approvals cancel ${req._id}\`.`);
      }
      const role = this.authority(req, subject);
      if (!role) throw this.noAuthority(req, subject, 'deny');
      const denial = { ...this.actor(subject), ...(reason ? { reason: this.o.redactor.text(reason) } : {}) };
      const ok = await this.decide(req, 'denied', { denial });
      if (!ok) continue;
      await this.o.audit.systemEvent({ action: 'approval.denied', subject: subject.id, message: `${req._id} denied by ${actorName(subject)}${reason ? `: ${reason}` : ''}`, detail: { request: req._id, invocationId: req.invocationId, role } });
      return { title: `Denied ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `\`${req.line}\` will not run.` }], visibility: 'ephemeral' };
    }
    throw new UserError('conflict', `Approval request ${id} is changing under many hands; try again.`);
  }

  /** The requester (the same person, on any surface) withdraws their request. */
  async cancel(id: string, who: Subject): Promise<Reply> {
    const subject = this.o.rbac.people.resolve(who);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.open(id);
      if (personKey(req.requester) !== personKey(subject)) throw new UserError('denied', `Only ${actorName(req.requester)}, who asked, may withdraw ${req._id}.`);
      const ok = await this.decide(req, 'cancelled', { cancelledBy: this.actor(subject) });
      if (!ok) continue;
      await this.o.audit.systemEvent({ action: 'approval.cancelled', subject: subject.id, message: `${req._id} withdrawn`, detail: { request: req._id, invocationId: req.invocationId } });
      return { title: `Withdrawn ${req._id}`, status: 'ok', blocks: [{ type: 'text', text: `\`${req.line}\` will not run.` }], visibility: 'ephemeral' };
    }
    throw new UserError('conflict', `Approval request ${id} is changing under many hands; try again.`);
  }

  /** May this subject see the request: the requester, an approver for it, or someone allowed the command there. */
  canSee(req: ApprovalRequest, who: Subject): boolean {
    const subject = this.o.rbac.people.resolve(who);
    if (personKey(req.requester) === personKey(subject)) return true;
    if (this.authority(req, subject)) return true;
    const touch = { ...(req.target ? { target: req.target } : {}), ...(req.environment ? { environment: req.environment } : {}) };
    return this.o.rbac.decide(subject, req.command, touch, this.o.environmentOf).allowed;
  }

  private noAuthority(req: ApprovalRequest, subject: Subject, verb: string): UserError {
    const where = req.target ? ` for ${req.target}${req.environment ? ` (${req.environment})` : ''}` : '';
    return new UserError('denied', `You may not ${verb} ${req._id}: it needs one of the roles ${req.approverRoles.join(', ')}${where}, and ${actorName(subject)} holds none that reaches it. Nothing was run.`);
  }

  /** pending → a final state by compare-and-set; posts the message and tells listeners. */
  private async decide(req: ApprovalRequest, state: Exclude<ApprovalEnd, 'approved' | 'interrupted'>, set: Partial<ApprovalRequest>): Promise<boolean> {
    const now = this.o.clock.date();
    const r = await this.c.updateOne({ _id: req._id, version: req.version, state: 'pending' }, { $set: { ...set, state, decidedAt: now }, $inc: { version: 1 } });
    if (r.matched === 0) return false;
    this.cancelTimer(req._id);
    const after = { ...req, ...set, state, decidedAt: now, version: req.version + 1 };
    await this.post(after);
    if (state !== 'cancelled') await this.tellRequester(after, requestMessage(after));
    await this.emit({ requestId: req._id, state, ...(req.parentInvocationId ? { parentInvocationId: req.parentInvocationId } : {}) });
    return true;
  }

  /** Expires a pending request whose deadline has passed (any process may; the compare-and-set lets one). */
  async expire(id: string): Promise<boolean> {
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const req = await this.c.findOne({ _id: id });
      if (!req || req.state !== 'pending') return false;
      if (req.expiresAt.getTime() > this.o.clock.now()) {
        this.schedule(req);
        return false;
      }
      if (await this.decide(req, 'expired', {})) {
        this.o.log.info({ approval: id }, 'approval request expired');
        await this.o.audit.systemEvent({ action: 'approval.expired', message: `${id} expired unapproved: ${req.line}`, detail: { request: id, invocationId: req.invocationId } });
        return true;
      }
    }
    return false;
  }

  private schedule(req: ApprovalRequest): void {
    if (this.stopped) return;
    this.cancelTimer(req._id);
    const ms = new Date(req.expiresAt).getTime() - this.o.clock.now();
    if (ms <= 0) {
      void this.track(this.expire(req._id).catch((e: unknown) => this.o.log.error({ err: e, approval: req._id }, `expiry failed: ${errorMessage(e)}`)));
      return;
    }
    this.timers.set(req._id, this.o.clock.setTimeout(() => {
      this.timers.delete(req._id);
      void this.track(this.expire(req._id).catch((e: unknown) => this.o.log.error({ err: e, approval: req._id }, `expiry failed: ${errorMessage(e)}`)));
    }, ms));
  }

  private cancelTimer(id: string): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
  }

  // --- execution -------------------------------------------------------------------------------

  /**
   * Runs the approved command once: claimed by compare-and-set `approved` → `executing` (one actor
   * wins, in this process or another), then through the router as the requester with the
   * approval recorded, then `executed` with its result, posted in the thread and to the requester.
   */
  private async execute(id: string): Promise<void> {
    const req = await this.c.findOne({ _id: id });
    if (!req || req.state !== 'approved') return;
    const startedAt = this.o.clock.date();
    const claim = await this.c.updateOne({ _id: id, version: req.version, state: 'approved' }, {
      $set: { state: 'executing', owner: this.owner, deadline: new Date(startedAt.getTime() + this.o.commandTimeoutMs + DEADLINE_GRACE_MS), execution: { startedAt } },
      $inc: { version: 1 },
    });
    if (claim.matched === 0) return;
    const runner = this.runnerRef;
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
      invocationId: result.invocationId, startedAt, finishedAt: this.o.clock.date(), outcome: result.outcome,
      ...(result.error ? { code: result.error.code, message: result.error.message.slice(0, 300) } : {}),
    };
    const after = await this.finish(id, execution);
    if (after) {
      await this.post(after);
      const reply = this.o.redactor.reply(resultMessage(after, result.reply));
      for (const ch of after.channels) await this.o.messages.enqueue(`a:${id}:${ch}:result`, ch, reply, { kind: 'reply', parent: `a:${id}:${ch}` });
      await this.tellRequester(after, reply);
    }
    await this.emit({ requestId: id, state: 'approved', ...(req.parentInvocationId ? { parentInvocationId: req.parentInvocationId } : {}), result });
  }

  /** executing → executed (also over an `interrupted` mark made meanwhile: the outcome is known after all). */
  private async finish(id: string, execution: NonNullable<ApprovalRequest['execution']>): Promise<ApprovalRequest | undefined> {
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const cur = await this.c.findOne({ _id: id });
      if (!cur || (cur.state !== 'executing' && cur.state !== 'interrupted')) return undefined;
      const r = await this.c.updateOne({ _id: id, version: cur.version }, { $set: { state: 'executed', execution }, $unset: { interruption: true }, $inc: { version: 1 } });
      if (r.matched === 1) return { ...cur, state: 'executed', execution, version: cur.version + 1 };
    }
    return undefined;
  }

  /**
   * Approved or executing records whose process is gone (this host, pid dead or reused) or whose
   * deadline passed: `interrupted`, told to the channel and listeners, never re-run.
   */
  async markInterrupted(): Promise<number> {
    await this.init();
    let marked = 0;
    const now = this.o.clock.now();
    for (const req of await this.c.find({ state: { $in: ['approved', 'executing'] } })) {
      const gone = req.owner ? ownerGone(req.owner, this.owner, this.alive) : false;
      const late = req.deadline ? new Date(req.deadline).getTime() < now : false;
      if (!gone && !late) continue;
      const interruption = gone
        ? `its process (pid ${req.owner?.pid} on ${req.owner?.host}) ended ${req.state === 'executing' ? 'while it was running' : 'before it started'}`
        : 'it did not finish before its deadline';
      const r = await this.c.updateOne({ _id: req._id, version: req.version, state: req.state as ApprovalState }, { $set: { state: 'interrupted', interruption }, $inc: { version: 1 } });
      if (r.matched === 0) continue;
      marked++;
      const after = { ...req, state: 'interrupted' as const, interruption, version: req.version + 1 };
      this.o.log.warn({ approval: req._id, was: req.state }, `approved command interrupted: ${interruption}`);
      await this.o.audit.systemEvent({ action: 'approval.interrupted', message: `${req._id}: ${interruption}`, detail: { request: req._id, invocationId: req.invocationId, was: req.state } });
      await this.post(after);
      await this.tellRequester(after, requestMessage(after));
      await this.emit({ requestId: req._id, state: 'interrupted', ...(req.parentInvocationId ? { parentInvocationId: req.parentInvocationId } : {}) });
    }
    return marked;
  }

  // --- messages and listeners ------------------------------------------------------------------

  /** The request message in every channel it is posted to: posted once, then updated in place. */
  private async post(req: ApprovalRequest): Promise<void> {
    const reply = this.o.redactor.reply(requestMessage(req));
    for (const ch of req.channels) await this.o.messages.enqueue(`a:${req._id}:${ch}`, ch, reply);
  }

  /** The requester hears how it ended where they asked, when that is not where the request was posted. */
  private async tellRequester(req: ApprovalRequest, reply: Reply): Promise<void> {
    const asked = this.askedChannel(req.surface, req.askedChannel);
    if (!asked || req.channels.includes(asked)) return;
    await this.o.messages.enqueue(`a:${req._id}:asker`, asked, this.o.redactor.reply({ ...reply, buttons: [] }));
  }

  private async emit(e: ApprovalDecided): Promise<void> {
    for (const l of [...this.listeners]) {
      try {
        await l(e);
      } catch (err) {
        this.o.log.error({ err, approval: e.requestId }, `approval listener failed: ${errorMessage(err)}`);
      }
    }
  }
}

function decidedBy(r: ApprovalRequest): string {
  if (r.state === 'denied' && r.denial) return ` (denied by ${actorName(r.denial)})`;
  if (r.approvals.length && r.state !== 'pending') return ` (approved by ${r.approvals.map(actorName).join(', ')})`;
  return '';
}

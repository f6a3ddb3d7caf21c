/**
 * The escalation service. An alert group whose route names a policy starts one escalation (the
 * record's `_id` is the group's id, `runId` the escalation's own id) over a snapshot of the
 * policy (record.ts). Passes on the injected clock look in the store for due steps (passes.ts);
 * each step is claimed under a lock after re-reading the group, by a compare-and-set, so it fires
 * exactly once (claim.ts), and handed to the notifier (delivery.ts). A step due while the bot was
 * down fires at start, with a note. This class composes those parts and answers what the rest of
 * the bot asks of escalations: the group message's block, who was paged, `escalate`.
 */
import type { EscalationPolicyConfig } from '../../config/oncall-schema.js';
import type { AlertGroup } from '../alerts/group.js';
import { isDuplicateKey } from '../store/types.js';
import { errorMessage } from '../errors.js';
import { newId } from '../ids.js';
import type { ReplyBlock } from '../reply.js';
import { snapshotOf, start } from './machine.js';
import { escalationBlock } from './render.js';
import { EscalationStore, type EscalationRecord } from './record.js';
import { PageDelivery } from './delivery.js';
import { StepClaims } from './claim.js';
import { DuePasses } from './passes.js';
import { DmRefusals, type DeadMessage } from './dm-refusals.js';
import type { AlertEventLike, EscalationOptions } from './ports.js';

export type { EscalationRecord } from './record.js';
export type { AlertEventLike, AlertLookup, EscalationOptions, StepFiredInfo } from './ports.js';

export class Escalations {
  private readonly records: EscalationStore;
  private readonly claims: StepClaims;
  private readonly passes: DuePasses;
  private readonly refusals: DmRefusals;

  constructor(private readonly o: EscalationOptions) {
    this.records = new EscalationStore(o.store, o.collection ?? 'escalations');
    const delivery = new PageDelivery(o, this.records);
    this.claims = new StepClaims(o, this.records, delivery);
    this.passes = new DuePasses(o, this.records, this.claims, () => this.catchUp());
    this.refusals = new DmRefusals(o, this.records, this.claims, delivery);
  }

  /**
   * Wire to `Outbox.onDead`: a page's direct message the platform refused for good falls back to
   * a mention of that person in the alert's channels (dm-refusals.ts); other messages are ignored.
   */
  onMessageDead(item: DeadMessage, error: unknown): Promise<void> {
    return this.refusals.onDead(item, error);
  }

  init(): Promise<void> {
    return this.records.init();
  }

  /** Starts the timer; steps that fell due while the bot was down fire now. */
  async start(): Promise<void> {
    await this.init();
    this.passes.begin();
    await this.catchUp();
    await this.stopEnded();
    await this.refusals.sweep().catch((e) => this.o.log.error({ err: e }, 'looking for refused direct messages at start failed'));
    this.kick();
  }

  /**
   * Open, unacknowledged groups on a route with a policy and no escalation yet: their `opened`
   * event was missed (a crash between saving the group and reporting it). Runs at start and
   * every `catchUpEvery` passes.
   */
  async catchUp(): Promise<void> {
    const open = await this.o.alerts.listOpen(1000);
    const candidates = open.filter((g) => !g.ackedAt && g.routes.some((r) => r.escalation));
    if (candidates.length === 0) return;
    const have = new Set((await this.records.c.find({ _id: { $in: candidates.map((g) => g._id) } })).map((r) => r._id));
    for (const g of candidates) if (!have.has(g._id)) await this.startFor(g._id);
  }

  /** Escalations whose group was acknowledged or resolved while no engine heard it: stopped now, their pages updated. */
  private async stopEnded(): Promise<void> {
    const live = await this.records.c.find({ phase: { $in: ['running', 'paused', 'exhausted'] } }, { limit: 1000 });
    for (const rec of live) {
      const g = await this.o.alerts.find(rec._id).catch(() => undefined);
      if (!g || !g.open || g.ackedAt) await this.claims.process(rec._id).catch((e) => this.o.log.error({ err: e, alert: rec._id }, 'escalation check at start failed'));
    }
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  /**
   * The policies of a reloaded config: escalations that start from now on use them; a running
   * escalation goes on over the snapshot of its policy taken when it started.
   */
  setPolicies(policies: Record<string, EscalationPolicyConfig>): void {
    this.o.policies = policies;
  }

  /** Wire to `AlertService`'s `onEvent`: a group that opened on a route with `escalation:` starts its escalation. */
  async onAlertEvent(e: AlertEventLike): Promise<void> {
    // A group none of whose routes names a policy needs no read.
    if (e.action === 'alert.opened' && e.alertId && (!e.group || e.group.routes.some((r) => r.escalation))) await this.startFor(e.alertId);
  }

  /** Starts the escalation of a group if one of its routes names a policy (once per group). */
  async startFor(groupId: string): Promise<EscalationRecord | undefined> {
    await this.init();
    const g = await this.o.alerts.find(groupId);
    const name = g.routes.find((r) => r.escalation)?.escalation;
    if (!name || !g.open) return undefined;
    const policy = this.o.policies[name];
    if (!policy) {
      this.o.log.error({ alert: groupId, policy: name }, 'route names an escalation policy that does not exist');
      return undefined;
    }
    const now = this.o.clock.now();
    const machine = start(now);
    const rec: EscalationRecord = { _id: g._id, runId: newId(), policy: snapshotOf(name, policy), machine, phase: machine.phase, dueAt: new Date(machine.dueAt), version: 1, startedAt: new Date(now), pages: [] };
    try {
      await this.records.c.insertOne(rec);
      this.o.log.info({ alert: g._id, policy: name, escalation: rec.runId }, 'escalation started');
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      return (await this.records.c.findOne({ _id: g._id })) ?? undefined;
    }
    this.kick();
    return rec;
  }

  async get(groupId: string): Promise<EscalationRecord | null> {
    await this.init();
    return this.records.c.findOne({ _id: groupId });
  }

  /** Was this person paged for this group? (Being paged grants `ack` and `escalate` on it.) */
  async pagedFor(person: string, groupId: string): Promise<boolean> {
    const rec = await this.get(groupId);
    return Boolean(rec?.pages.some((p) => p.who === person));
  }

  /** The escalation's state for the group's message, or undefined without one; `group`: the state being shown. */
  async statusBlock(groupId: string, group?: AlertGroup): Promise<ReplyBlock | undefined> {
    const rec = await this.get(groupId);
    return rec ? escalationBlock(rec.policy, rec.machine, rec.pages, this.o.clock.now(), group) : undefined;
  }

  /** `GroupExtension.blocks`: the escalation block of a group's message (none without an escalation). */
  async blocksFor(g: AlertGroup): Promise<ReplyBlock[]> {
    if (!g.routes.some((r) => r.escalation)) return [];
    try {
      const b = await this.statusBlock(g._id, g);
      return b ? [b] : [];
    } catch (e) {
      this.o.log.error({ err: e, alert: g._id }, 'could not read the escalation for the group message');
      return [];
    }
  }

  /** `GroupExtension.saved`: an ack or a resolve stops the escalation now, not when its next step falls due. */
  onGroupSaved(before: AlertGroup, after: AlertGroup): void {
    const ended = (!before.ackedAt && after.ackedAt) || (before.open && !after.open);
    if (!ended || !this.passes.active || !after.routes.some((r) => r.escalation)) return;
    this.passes.track(this.claims.process(after._id, 5_000).catch((e) => this.o.log.error({ err: e, alert: after._id }, `stopping the escalation failed: ${errorMessage(e)}`)));
  }

  /** Settles when the current pass is done (tests). */
  settled(): Promise<void> {
    return this.passes.settled();
  }

  /** Looks for due work now (the timer does this every tick). */
  kick(): void {
    this.passes.kick();
  }

  /**
   * `escalate <alert> [--to <step|person>]`: fires the next step (or step N, 1-based) now, or
   * pages a person outside the policy. Refused when the group is acknowledged or resolved.
   */
  async escalate(groupId: string, by: string, to?: { step: number } | { person: string }): Promise<{ rec: EscalationRecord; what: string }> {
    await this.init();
    return this.claims.escalate(groupId, by, to);
  }
}

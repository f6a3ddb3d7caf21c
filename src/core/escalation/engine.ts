/**
 * The escalation executor. An alert group whose route names a policy starts one escalation (the
 * record's `_id` is the group's id, `runId` the escalation's own id) over a snapshot of the
 * policy. A timer on the injected clock looks in the store for due steps, so every replica and
 * process sees the same work; each step is claimed under a lock, after re-reading the group
 * (acknowledged or resolved: stop; silenced or under maintenance: pause) and by a
 * compare-and-set on the record's version and run id, so it fires exactly once. The claim
 * records the step as pending delivery: a crash between the claim and the chat/e-mail calls
 * delivers it after restart. A step due while the bot was down fires at start, with a note.
 */
import type { Logger } from 'pino';
import type { EscalationPolicyConfig } from '../../config/oncall-schema.js';
import type { AlertGroup } from '../alerts/group.js';
import type { Clock, Timer } from '../clock.js';
import type { Coordination, Lock } from '../coordination/types.js';
import type { MaintenanceWindows } from '../maintenance/port.js';
import type { Collection, Store } from '../store/types.js';
import { isDuplicateKey } from '../store/types.js';
import { UserError, errorMessage } from '../errors.js';
import { newId } from '../ids.js';
import type { ReplyBlock } from '../reply.js';
import {
  escalateNow, fire, pause, resume, snapshotOf, start, stop,
  type Fired, type MachineState, type Phase, type PolicySnapshot,
} from './machine.js';
import type { Notifier } from './notifier.js';
import { escalationBlock, renderPageClosed, stoppedText, type PageRecord } from './render.js';
import type { PageOutbox } from './notifier.js';

export interface EscalationRecord {
  /** The alert group's id: one escalation per group occurrence. */
  _id: string;
  /** This escalation's own id: a step is claimed only while it is still the group's active escalation. */
  runId: string;
  policy: PolicySnapshot;
  machine: MachineState;
  /** Copies of machine.phase / machine.dueAt for the store's queries. */
  phase: Phase;
  dueAt: Date;
  version: number;
  startedAt: Date;
  pages: PageRecord[];
  /** A claimed step whose notifications are not all handed over yet. */
  pending?: Pending;
}

interface Pending {
  fired: Fired;
  lateMs?: number;
  nextAt?: number;
  by?: string;
  /** `escalate --to <person>`: page only this person (not a step of the policy). */
  person?: string;
}

/** What the executor needs of alerting: the group as it is now (`AlertService.find`). */
export interface AlertLookup {
  find(id: string): Promise<AlertGroup>;
  /** Open groups, newest first (for catching up on groups whose `opened` event was missed). */
  listOpen(limit?: number): Promise<AlertGroup[]>;
}

/** An event of `AlertService`'s `onEvent` (only `alert.opened` starts an escalation). */
export interface AlertEventLike {
  action: string;
  alertId?: string | undefined;
  /** The group as opened, when the event carries it (its routes never change). */
  group?: Pick<AlertGroup, 'routes'> | undefined;
}

export interface StepFiredInfo {
  groupId: string;
  step: number;
  pass: number;
  dueAt: number;
  firedAt: number;
  manual: boolean;
}

export interface EscalationOptions {
  store: Store;
  coordination: Coordination;
  clock: Clock;
  alerts: AlertLookup;
  notifier: Notifier;
  policies: Record<string, EscalationPolicyConfig>;
  log: Logger;
  /** Targets of a group (its labels), for maintenance windows. */
  targetsOf?: (g: AlertGroup) => string[];
  maintenance?: MaintenanceWindows | undefined;
  lateAfterMs?: number;
  tickMs?: number;
  /** Called after every step claimed and delivered (metrics, benchmarks). */
  onFired?: (info: StepFiredInfo) => void;
  /** Look for missed `opened` events every this many passes (default 10). */
  catchUpEvery?: number;
  /** Shows the group's message again (its escalation block changed): `AlertService.repaint`. */
  repaint?: (groupId: string) => Promise<void>;
  /** Where the pages are updated once the escalation stops (their buttons removed). */
  outbox?: PageOutbox;
  collection?: string;
}

const LOCK_MS = 30_000;
const BATCH = 200;
const PARALLEL = 50;

export class Escalations {
  private readonly c: Collection<EscalationRecord>;
  private ready: Promise<void> | undefined;
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  private stopped = false;
  private passes = 0;
  /** Work started outside a pass (stopping on an ack); `stop` and `settled` wait for it. */
  private readonly side = new Set<Promise<void>>();

  constructor(private readonly o: EscalationOptions) {
    this.c = o.store.collection<EscalationRecord>(o.collection ?? 'escalations');
  }

  init(): Promise<void> {
    this.ready ??= Promise.all([this.c.createIndex({ phase: 1, dueAt: 1 })]).then(() => undefined);
    return this.ready;
  }

  /** Starts the timer; steps that fell due while the bot was down fire now. */
  async start(): Promise<void> {
    await this.init();
    this.started = true;
    this.stopped = false;
    await this.catchUp();
    await this.stopEnded();
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
    const have = new Set((await this.c.find({ _id: { $in: candidates.map((g) => g._id) } })).map((r) => r._id));
    for (const g of candidates) if (!have.has(g._id)) await this.startFor(g._id);
  }

  /** Escalations whose group was acknowledged or resolved while no engine heard it: stopped now, their pages updated. */
  private async stopEnded(): Promise<void> {
    const live = await this.c.find({ phase: { $in: ['running', 'paused', 'exhausted'] } }, { limit: 1000 });
    for (const rec of live) {
      const g = await this.o.alerts.find(rec._id).catch(() => undefined);
      if (!g || !g.open || g.ackedAt) await this.process(rec._id).catch((e) => this.o.log.error({ err: e, alert: rec._id }, 'escalation check at start failed'));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
    await Promise.all(this.side);
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
      await this.c.insertOne(rec);
      this.o.log.info({ alert: g._id, policy: name, escalation: rec.runId }, 'escalation started');
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      return (await this.c.findOne({ _id: g._id })) ?? undefined;
    }
    this.kick();
    return rec;
  }

  async get(groupId: string): Promise<EscalationRecord | null> {
    await this.init();
    return this.c.findOne({ _id: groupId });
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
    if (!ended || !this.started || this.stopped || !after.routes.some((r) => r.escalation)) return;
    const run = this.process(after._id, 5_000).catch((e) => this.o.log.error({ err: e, alert: after._id }, `stopping the escalation failed: ${errorMessage(e)}`));
    this.side.add(run);
    void run.finally(() => this.side.delete(run));
  }

  /** Settles when the current pass is done (tests). */
  async settled(): Promise<void> {
    while (this.running || this.side.size) await Promise.all([this.running, ...this.side]);
  }

  /** Looks for due work now (the timer does this every tick). */
  kick(): void {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.running = this.pass()
      .catch((e) => this.o.log.error({ err: e }, 'escalation pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
          return;
        }
        void this.schedule();
      });
  }

  private async schedule(): Promise<void> {
    const tick = this.o.tickMs ?? 1000;
    const next = await this.c.findOne({ phase: 'running' }, { sort: { dueAt: 1 } }).catch(() => null);
    const wait = next ? Math.min(tick, Math.max(0, next.dueAt.getTime() - this.o.clock.now())) : tick;
    if (this.stopped || this.running) return;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimeout(() => this.kick(), wait);
  }

  private async pass(): Promise<void> {
    await this.init();
    if (++this.passes % (this.o.catchUpEvery ?? 10) === 0) await this.catchUp();
    const now = new Date(this.o.clock.now());
    const work = [
      ...await this.c.find({ phase: 'running', dueAt: { $lte: now } }, { sort: { dueAt: 1 }, limit: BATCH }),
      ...await this.c.find({ phase: 'paused' }, { limit: BATCH }),
      ...await this.c.find({ pending: { $exists: true } }, { limit: BATCH }),
    ];
    const ids = [...new Set(work.map((r) => r._id))];
    for (let i = 0; i < ids.length && !this.stopped; i += PARALLEL) {
      await Promise.all(ids.slice(i, i + PARALLEL).map((id) => this.process(id).catch((e) => this.o.log.error({ err: e, alert: id }, `escalation step failed: ${errorMessage(e)}`))));
    }
    if (ids.length >= BATCH) this.again = true;
  }

  private async withLock<T>(id: string, fn: () => Promise<T>, waitMs = 0): Promise<T | undefined> {
    const deadline = Date.now() + waitMs;
    let lock: Lock | null = await this.o.coordination.tryLock(`escalation:${id}`, LOCK_MS);
    while (!lock && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      lock = await this.o.coordination.tryLock(`escalation:${id}`, LOCK_MS);
    }
    if (!lock) return undefined;
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** Compare-and-set on the version and the run id; false when someone else changed it first. */
  private async cas(rec: EscalationRecord, set: Partial<EscalationRecord>, unset: string[] = []): Promise<EscalationRecord | undefined> {
    const r = await this.c.updateOne(
      { _id: rec._id, version: rec.version, runId: rec.runId },
      { $set: set, $inc: { version: 1 }, ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, true])) } : {}) },
    );
    return r.matched === 1 ? { ...rec, ...set, version: rec.version + 1 } : undefined;
  }

  private machineFields(m: MachineState): Pick<EscalationRecord, 'machine' | 'phase' | 'dueAt'> {
    return { machine: m, phase: m.phase, dueAt: new Date(Math.min(m.dueAt, 8.64e15)) };
  }

  /** Why the group must not be paged now: `stop` (acknowledged, resolved, gone), `pause` (silenced, maintenance), or nothing. */
  private async gate(id: string, now: number): Promise<{ stop: string; group?: AlertGroup } | { pause: string } | { group: AlertGroup }> {
    let g: AlertGroup;
    try {
      g = await this.o.alerts.find(id);
    } catch (e) {
      if (e instanceof UserError && e.code === 'not_found') return { stop: 'the alert group is gone' };
      throw e;
    }
    if (!g.open || g.ackedAt) return { stop: stoppedText(g), group: g };
    if (g.silencedUntil && g.silencedUntil.getTime() > now) return { pause: 'silenced' };
    if (this.o.maintenance && this.o.targetsOf) {
      for (const t of this.o.targetsOf(g)) if (await this.o.maintenance.activeFor(t, new Date(now))) return { pause: `${t} is under maintenance` };
    }
    return { group: g };
  }

  private async process(id: string, waitMs = 0): Promise<void> {
    await this.withLock(id, async () => {
      let rec: EscalationRecord | null | undefined = await this.c.findOne({ _id: id });
      if (!rec) return;
      if (rec.pending) rec = await this.deliver(rec);
      if (!rec || rec.phase === 'stopped') return;
      const now = this.o.clock.now();
      const verdict = await this.gate(id, now);
      if ('stop' in verdict) {
        const stopped = await this.cas(rec, this.machineFields(stop(rec.machine, verdict.stop)));
        if (!stopped) return;
        this.o.log.info({ alert: id, reason: verdict.stop }, 'escalation stopped');
        if (verdict.group) await this.closePages(stopped, verdict.group);
        await this.repaint(id);
        return;
      }
      // Every step fired: nothing is due, but an ack or resolve still stops it and updates the pages (above).
      if (rec.phase === 'exhausted') return;
      if ('pause' in verdict) {
        if (rec.phase === 'running') await this.cas(rec, this.machineFields(pause(rec.machine, now)));
        return;
      }
      const machine = resume(rec.machine, now);
      const f = fire(rec.policy, machine, now);
      if (!f) {
        if (machine !== rec.machine) await this.cas(rec, this.machineFields(machine));
        return;
      }
      const late = now - f.fired.dueAt;
      const pending: Pending = {
        fired: f.fired,
        ...(late > (this.o.lateAfterMs ?? 60_000) ? { lateMs: late } : {}),
        ...(f.state.phase === 'running' ? { nextAt: f.state.dueAt } : {}),
      };
      const claimed = await this.cas(rec, { ...this.machineFields(f.state), pending });
      if (claimed) await this.deliver(claimed, verdict.group);
    }, waitMs);
  }

  /** The pages that carry buttons (direct messages, channel pages) lose them and say who acknowledged. */
  private async closePages(rec: EscalationRecord, g: AlertGroup): Promise<void> {
    if (!this.o.outbox) return;
    for (const p of rec.pages) {
      if (!p.key || !p.channel) continue;
      try {
        await this.o.outbox.enqueue(p.key, p.channel, renderPageClosed(g, rec.policy, p), { priority: 0 });
      } catch (e) {
        this.o.log.error({ err: e, alert: rec._id, page: p.key }, 'could not update a page');
      }
    }
  }

  private async repaint(id: string): Promise<void> {
    try {
      await this.o.repaint?.(id);
    } catch (e) {
      this.o.log.error({ err: e, alert: id }, 'could not show the escalation state on the group message');
    }
  }

  /** Hands the pending step to the notifier and records who was paged. */
  private async deliver(rec: EscalationRecord, group?: AlertGroup): Promise<EscalationRecord | undefined> {
    const p = rec.pending;
    if (!p) return rec;
    const g = group ?? await this.o.alerts.find(rec._id);
    const policy: PolicySnapshot = p.person ? { name: `${rec.policy.name} (by hand)`, steps: [{ notify: [{ person: p.person }], delay: 0 }], repeat: 0 } : rec.policy;
    const pages = await this.o.notifier.send({
      escalationId: p.person ? `${rec.runId}-to-${rec.pages.length}` : rec.runId,
      group: g, policy, fired: p.fired, lateMs: p.lateMs, nextAt: p.nextAt, by: p.by,
    });
    const done = await this.cas(rec, { pages: [...rec.pages, ...pages] }, ['pending']);
    if (done) {
      const { pending: _p, ...rest } = done;
      await this.repaint(rec._id);
      this.o.onFired?.({ groupId: rec._id, step: p.fired.step, pass: p.fired.pass, dueAt: p.fired.dueAt, firedAt: p.fired.firedAt, manual: p.fired.manual });
      return rest;
    }
    return (await this.c.findOne({ _id: rec._id })) ?? undefined;
  }

  /**
   * `escalate <alert> [--to <step|person>]`: fires the next step (or step N, 1-based) now, or
   * pages a person outside the policy. Refused when the group is acknowledged or resolved.
   */
  async escalate(groupId: string, by: string, to?: { step: number } | { person: string }): Promise<{ rec: EscalationRecord; what: string }> {
    await this.init();
    const out = await this.withLock(groupId, async () => {
      const rec = await this.c.findOne({ _id: groupId });
      if (!rec) throw new UserError('not_found', `Alert ${groupId} has no escalation (its route names no escalation policy).`);
      const now = this.o.clock.now();
      const verdict = await this.gate(groupId, now);
      if ('stop' in verdict) throw new UserError('conflict', `Alert ${groupId} is ${verdict.stop}; nothing to escalate.`);
      let claimed: EscalationRecord | undefined;
      let what: string;
      if (to && 'person' in to) {
        const fired: Fired = { step: 0, pass: 0, dueAt: now, firedAt: now, manual: true };
        claimed = await this.cas(rec, { pending: { fired, by, person: to.person } });
        what = `paged @${to.person}`;
      } else {
        const index = to ? to.step - 1 : undefined;
        if (index !== undefined && (index < 0 || index >= rec.policy.steps.length)) throw new UserError('invalid', `Policy ${rec.policy.name} has steps 1 to ${rec.policy.steps.length}.`);
        const f = escalateNow(rec.policy, resume(rec.machine, now), now, index);
        if (!f) throw new UserError('conflict', `Every step of ${rec.policy.name} has fired for alert ${groupId}.`);
        claimed = await this.cas(rec, { ...this.machineFields(f.state), pending: { fired: f.fired, by, ...(f.state.phase === 'running' ? { nextAt: f.state.dueAt } : {}) } });
        what = `fired step ${f.fired.step + 1} of ${rec.policy.steps.length}`;
      }
      if (!claimed) throw new UserError('conflict', `Alert ${groupId}'s escalation changed meanwhile; try again.`);
      const after = await this.deliver(claimed, 'group' in verdict ? verdict.group : undefined);
      return { rec: after ?? claimed, what };
    }, 5_000);
    if (!out) throw new UserError('conflict', `Alert ${groupId}'s escalation is busy; try again.`);
    return out;
  }
}

/**
 * Claiming steps across processes. Each escalation is worked under a coordination lock: the group
 * is read again first (acknowledged or resolved: the escalation stops and its pages are closed;
 * silenced or under maintenance: the waiting step's clock pauses), then the due step is claimed
 * by a compare-and-set that records it as pending delivery, so it fires exactly once, and a crash
 * between the claim and the notifier's calls delivers it after restart. `escalate` by hand claims
 * a step (or a page of one person) the same way.
 */
import type { AlertGroup } from '../alerts/group.js';
import type { Lock } from '../coordination/types.js';
import { UserError } from '../errors.js';
import { escalateNow, fire, pause, resume, stop, type Fired } from './machine.js';
import { stoppedText } from './render.js';
import { machineFields, type EscalationRecord, type EscalationStore, type Pending } from './record.js';
import type { PageDelivery } from './delivery.js';
import type { EscalationOptions } from './ports.js';

const LOCK_MS = 30_000;

/** What the group as it is now says of paging: stop (with why), pause (with why), or go on. */
type Verdict = { stop: string; group?: AlertGroup } | { pause: string } | { group: AlertGroup };

export class StepClaims {
  constructor(private readonly o: EscalationOptions, private readonly records: EscalationStore, private readonly delivery: PageDelivery) {}

  /** Works one escalation: delivers a pending step, stops, pauses or resumes it, or claims and delivers its due step. */
  async process(id: string, waitMs = 0): Promise<void> {
    await this.withLock(id, async () => {
      let rec: EscalationRecord | null | undefined = await this.records.c.findOne({ _id: id });
      if (!rec) return;
      if (rec.pending) rec = await this.delivery.deliver(rec);
      if (!rec || rec.phase === 'stopped') return;
      const now = this.o.clock.now();
      const verdict = await this.gate(id, now);
      if ('stop' in verdict) {
        const stopped = await this.records.cas(rec, machineFields(stop(rec.machine, verdict.stop)));
        if (!stopped) return;
        this.o.log.info({ alert: id, reason: verdict.stop }, 'escalation stopped');
        if (verdict.group) await this.delivery.closePages(stopped, verdict.group);
        await this.delivery.repaint(id);
        return;
      }
      // Every step fired: nothing is due, but an ack or resolve still stops it and updates the pages (above).
      if (rec.phase === 'exhausted') return;
      if ('pause' in verdict) {
        if (rec.phase === 'running') await this.records.cas(rec, machineFields(pause(rec.machine, now)));
        return;
      }
      const machine = resume(rec.machine, now);
      const f = fire(rec.policy, machine, now);
      if (!f) {
        if (machine !== rec.machine) await this.records.cas(rec, machineFields(machine));
        return;
      }
      const late = now - f.fired.dueAt;
      const pending: Pending = {
        fired: f.fired,
        ...(late > (this.o.lateAfterMs ?? 60_000) ? { lateMs: late } : {}),
        ...(f.state.phase === 'running' ? { nextAt: f.state.dueAt } : {}),
      };
      const claimed = await this.records.cas(rec, { ...machineFields(f.state), pending });
      if (claimed) await this.delivery.deliver(claimed, verdict.group);
    }, waitMs);
  }

  /**
   * `escalate <alert> [--to <step|person>]`: fires the next step (or step N, 1-based) now, or
   * pages a person outside the policy. Refused when the group is acknowledged or resolved.
   */
  async escalate(groupId: string, by: string, to?: { step: number } | { person: string }): Promise<{ rec: EscalationRecord; what: string }> {
    const out = await this.withLock(groupId, async () => {
      const rec = await this.records.c.findOne({ _id: groupId });
      if (!rec) throw new UserError('not_found', `Alert ${groupId} has no escalation (its route names no escalation policy).`);
      const now = this.o.clock.now();
      const verdict = await this.gate(groupId, now);
      if ('stop' in verdict) throw new UserError('conflict', `Alert ${groupId} is ${verdict.stop}; nothing to escalate.`);
      let claimed: EscalationRecord | undefined;
      let what: string;
      if (to && 'person' in to) {
        const fired: Fired = { step: 0, pass: 0, dueAt: now, firedAt: now, manual: true };
        claimed = await this.records.cas(rec, { pending: { fired, by, person: to.person } });
        what = `paged @${to.person}`;
      } else {
        const index = to ? to.step - 1 : undefined;
        if (index !== undefined && (index < 0 || index >= rec.policy.steps.length)) throw new UserError('invalid', `Policy ${rec.policy.name} has steps 1 to ${rec.policy.steps.length}.`);
        const f = escalateNow(rec.policy, resume(rec.machine, now), now, index);
        if (!f) throw new UserError('conflict', `Every step of ${rec.policy.name} has fired for alert ${groupId}.`);
        claimed = await this.records.cas(rec, { ...machineFields(f.state), pending: { fired: f.fired, by, ...(f.state.phase === 'running' ? { nextAt: f.state.dueAt } : {}) } });
        what = `fired step ${f.fired.step + 1} of ${rec.policy.steps.length}`;
      }
      if (!claimed) throw new UserError('conflict', `Alert ${groupId}'s escalation changed meanwhile; try again.`);
      const after = await this.delivery.deliver(claimed, 'group' in verdict ? verdict.group : undefined);
      return { rec: after ?? claimed, what };
    }, 5_000);
    if (!out) throw new UserError('conflict', `Alert ${groupId}'s escalation is busy; try again.`);
    return out;
  }

  /** Runs `fn` under the escalation's lock, waiting up to `waitMs` for it; undefined when another process holds it. */
  async withLock<T>(id: string, fn: () => Promise<T>, waitMs = 0): Promise<T | undefined> {
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

  /** Why the group must not be paged now: `stop` (acknowledged, resolved, gone), `pause` (silenced, maintenance), or nothing. */
  private async gate(id: string, now: number): Promise<Verdict> {
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
}

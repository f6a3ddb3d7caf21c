/**
 * Paging delivery: hands a claimed (pending) step to the notifier, records who was paged and
 * clears the pending mark by compare-and-set, then shows the group's message again. Once an
 * escalation stops, the pages that carry buttons (direct messages, channel pages) are updated:
 * their buttons go, and they say who acknowledged.
 */
import type { AlertGroup } from '../alerts/group.js';
import type { PolicySnapshot } from './machine.js';
import { renderPageClosed } from './render.js';
import type { EscalationRecord, EscalationStore } from './record.js';
import type { EscalationOptions } from './ports.js';

export class PageDelivery {
  constructor(private readonly o: EscalationOptions, private readonly records: EscalationStore) {}

  /** Hands the pending step to the notifier and records who was paged. */
  async deliver(rec: EscalationRecord, group?: AlertGroup): Promise<EscalationRecord | undefined> {
    const p = rec.pending;
    if (!p) return rec;
    const g = group ?? await this.o.alerts.find(rec._id);
    const policy: PolicySnapshot = p.person ? { name: `${rec.policy.name} (by hand)`, steps: [{ notify: [{ person: p.person }], delay: 0 }], repeat: 0 } : rec.policy;
    const pages = await this.o.notifier.send({
      escalationId: p.person ? `${rec.runId}-to-${rec.pages.length}` : rec.runId,
      group: g, policy, fired: p.fired, lateMs: p.lateMs, nextAt: p.nextAt, by: p.by,
    });
    const done = await this.records.cas(rec, { pages: [...rec.pages, ...pages] }, ['pending']);
    if (done) {
      const { pending: _p, ...rest } = done;
      await this.repaint(rec._id);
      this.o.onFired?.({ groupId: rec._id, step: p.fired.step, pass: p.fired.pass, dueAt: p.fired.dueAt, firedAt: p.fired.firedAt, manual: p.fired.manual });
      return rest;
    }
    return (await this.records.c.findOne({ _id: rec._id })) ?? undefined;
  }

  /** The pages that carry buttons (direct messages, channel pages) lose them and say who acknowledged. */
  async closePages(rec: EscalationRecord, g: AlertGroup): Promise<void> {
    if (!this.o.outbox) return;
    for (const p of rec.pages) {
      // A refused direct message is not tried again (its person was mentioned in the channel).
      if (!p.key || !p.channel || p.refused) continue;
      try {
        // Nor is a page the outbox gave up on (refused before its refusal was recorded).
        if ((await this.o.outbox.get?.(p.key))?.state === 'dead') continue;
        await this.o.outbox.enqueue(p.key, p.channel, renderPageClosed(g, rec.policy, p), { priority: 0 });
      } catch (e) {
        this.o.log.error({ err: e, alert: rec._id, page: p.key }, 'could not update a page');
      }
    }
  }

  /** Shows the group's message again with the escalation's state; a failure is logged. */
  async repaint(id: string): Promise<void> {
    try {
      await this.o.repaint?.(id);
    } catch (e) {
      this.o.log.error({ err: e, alert: id }, 'could not show the escalation state on the group message');
    }
  }
}

/**
 * A page whose direct message the platform refused for good (a Discord member who blocks DMs
 * from server members, a Slack user who cannot be messaged) falls back to a mention in the
 * alert's channels, and says so. The outbox reports the dead `dm:` item (`Outbox.onDead`); under
 * the escalation's lock the step's delivery is finished first (its pages recorded), then the
 * person is mentioned in each of the group's route channels, the step's thread line says
 * "paged @carol (DM refused)", the page record is marked refused by compare-and-set, audited,
 * and the group message shows it. The fallback's outbox keys derive from the DM's key, and the
 * record's mark is set once, so a retry or a second process posts and audits nothing twice. A
 * DM that died while nobody heard of it (a crash in between) falls back when the engine starts.
 *
 * The step machine is untouched: the step fired when it was claimed, the person is paged (in
 * the channel), the next step falls due on time, and the page record keeps the paged grant, so
 * the person may still acknowledge or escalate with the group message's buttons.
 */
import { DirectMessageRefused } from '../chat.js';
import { errorMessage } from '../errors.js';
import { mentionsFor } from '../mentions.js';
import { DM_SURFACE } from './dm-gateway.js';
import { refusedLine, renderDmFallback, type PageRecord } from './render.js';
import type { EscalationRecord, EscalationStore } from './record.js';
import type { PageDelivery } from './delivery.js';
import type { StepClaims } from './claim.js';
import type { EscalationOptions } from './ports.js';

/** How long a refusal waits for the escalation's lock (a step being delivered holds it). */
const LOCK_WAIT_MS = 10_000;
const CAS_TRIES = 5;

/** An outbox item as the outbox reports it dead. */
export interface DeadMessage {
  _id: string;
  channel: string;
  lastError?: string | undefined;
}

/** What a dead page's key says: `esc:<run>[-to-<n>]:<pass>.<step>:dm:<identity>`. */
interface PageKey {
  runId: string;
  /** `esc:<run>:<pass>.<step>`: the step's other messages share it. */
  prefix: string;
  identity: string;
}

export function parsePageKey(m: DeadMessage): PageKey | undefined {
  if (!m._id.startsWith('esc:') || !m.channel.startsWith(`${DM_SURFACE}:`)) return undefined;
  const identity = m.channel.slice(DM_SURFACE.length + 1);
  const suffix = `:dm:${identity}`;
  if (!m._id.endsWith(suffix)) return undefined;
  const prefix = m._id.slice(0, -suffix.length);
  const run = /^esc:([^:]+?)(?:-to-\d+)?:\d+\.\d+$/.exec(prefix);
  return run ? { runId: run[1] as string, prefix, identity } : undefined;
}

/** The channel is told why, in words: the platform's refusal, or the failure that ended the DM. */
function reasonOf(error: unknown, identity: string, lastError: string | undefined): string {
  if (error instanceof DirectMessageRefused) return error.reason;
  // Found at start: the refusal's reason was kept in the item's last error.
  const kept = DirectMessageRefused.reasonIn(lastError);
  if (kept) return kept;
  const surface = identity.split(':')[0] ?? 'chat';
  return `${surface.charAt(0).toUpperCase()}${surface.slice(1)}: the direct message could not be delivered (${(lastError ?? errorMessage(error)).slice(0, 200)})`;
}

/** One fallback per person, step and channel: a second refused identity of theirs updates it. */
export const fallbackKey = (k: PageKey, person: string, channel: string) => `${k.prefix}:dm-fallback:${person}:${channel}`;
export const lineKey = (k: PageKey, channel: string) => `${k.prefix}:line:${channel}`;

export class DmRefusals {
  constructor(
    private readonly o: EscalationOptions,
    private readonly records: EscalationStore,
    private readonly claims: StepClaims,
    private readonly delivery: PageDelivery,
  ) {}

  /** `Outbox.onDead`: a page's direct message given up on falls back to the channels. Anything else is left alone. */
  async onDead(item: DeadMessage, error: unknown): Promise<void> {
    const k = parsePageKey(item);
    if (!k) return;
    await this.records.init();
    const owner = await this.records.c.findOne({ runId: k.runId });
    if (!owner) return;
    const done = await this.claims.withLock(owner._id, () => this.fallBack(owner._id, k, item, error), LOCK_WAIT_MS);
    if (done === undefined) this.o.log.error({ alert: owner._id, page: item._id }, 'a refused direct message could not fall back to the channel: the escalation stayed busy');
  }

  /**
   * At start: a page's direct message that died while nobody heard of it (a crash between the
   * outbox giving up and the fallback) falls back now. Reads the DM pages of live escalations.
   */
  async sweep(): Promise<void> {
    const get = this.o.outbox?.get?.bind(this.o.outbox);
    if (!get) return;
    await this.records.init();
    const live = await this.records.c.find({ phase: { $in: ['running', 'paused', 'exhausted'] } }, { limit: 1000 });
    for (const rec of live) {
      for (const p of rec.pages) {
        if (!p.key || !p.channel?.startsWith(`${DM_SURFACE}:`) || p.refused) continue;
        const item = await get(p.key);
        if (item?.state === 'dead') await this.onDead({ _id: p.key, channel: p.channel, lastError: item.lastError }, undefined);
      }
    }
  }

  private async fallBack(id: string, k: PageKey, item: DeadMessage, error: unknown): Promise<true> {
    let rec: EscalationRecord | null | undefined = await this.records.c.findOne({ _id: id });
    if (!rec || rec.runId !== k.runId) return true;
    // The DM can fail before its step's pages are recorded: finish that delivery first.
    if (rec.pending) rec = await this.delivery.deliver(rec);
    const page = rec?.pages.find((p) => p.key === item._id);
    if (!rec || !page) {
      this.o.log.warn({ alert: id, page: item._id }, 'a refused direct message belongs to no recorded page');
      return true;
    }
    // Posted (or being posted) already, by a retry or another process.
    if (page.refused) return true;
    const reason = reasonOf(error, k.identity, item.lastError);
    if (rec.phase === 'stopped') {
      this.o.log.info({ alert: id, person: page.who, reason }, 'direct message refused after the escalation stopped: nobody to page');
      return true;
    }
    const channels = await this.post(rec, page, k, reason);
    const marked = await this.mark(rec, item._id, reason);
    if (!marked) return true;
    this.o.log.warn({ alert: id, person: page.who, identity: k.identity, reason, channels }, 'direct message refused: paged in the channel instead');
    try {
      await this.o.audit?.systemEvent({
        action: 'escalation.dm_refused',
        subject: k.identity,
        message: `could not DM @${page.who} (${reason}); paged in ${channels.join(', ') || 'no channel'} instead for alert ${id}`,
        detail: { alert: id, escalation: rec.runId, person: page.who, identity: k.identity, step: page.step + 1, pass: page.pass + 1, reason, channels },
      });
    } catch (e) {
      this.o.log.error({ err: e, alert: id }, 'could not audit a refused direct message');
    }
    await this.delivery.repaint(id);
    return true;
  }

  /** The mention in each route channel, and the step's thread line corrected there. */
  private async post(rec: EscalationRecord, page: PageRecord, k: PageKey, reason: string): Promise<string[]> {
    const { outbox, people, groupMessageKey } = this.o;
    if (!outbox) return [];
    const g = await this.o.alerts.find(rec._id);
    // Her other identities refused in this step already: the one message gives every reason.
    const earlier = rec.pages.filter((p) => p.who === page.who && p.step === page.step && p.pass === page.pass && p.refused).map((p) => p.refused?.reason as string);
    const reasons = [...new Set([...earlier, reason])].join('; ');
    const channels: string[] = [];
    for (const r of g.routes) {
      const ch = r.channel;
      const mentions = mentionsFor([{ kind: 'person', id: page.who }], ch, people);
      await outbox.enqueue(fallbackKey(k, page.who, ch), ch, renderDmFallback(g, rec.policy, page, reasons, mentions), { priority: 0 });
      channels.push(ch);
      const line = groupMessageKey ? await outbox.get?.(lineKey(k, ch)) : undefined;
      if (line && groupMessageKey) {
        await outbox.enqueue(lineKey(k, ch), ch, refusedLine(line.reply, page.who, reason), { kind: 'reply', parent: groupMessageKey(rec._id, ch) });
      }
    }
    return channels;
  }

  /** Marks the page refused by compare-and-set; false when someone else marked it first. */
  private async mark(rec: EscalationRecord, key: string, reason: string): Promise<boolean> {
    let cur: EscalationRecord | null = rec;
    for (let i = 0; i < CAS_TRIES && cur; i++) {
      const page = cur.pages.find((p) => p.key === key);
      if (!page || page.refused) return false;
      const at = new Date(this.o.clock.now());
      const pages = cur.pages.map((p) => (p.key === key ? { ...p, refused: { reason, at } } : p));
      if (await this.records.cas(cur, { pages })) return true;
      cur = await this.records.c.findOne({ _id: rec._id });
      if (cur && cur.runId !== rec.runId) return false;
    }
    return false;
  }
}

/**
 * From a group's state to chat: each channel's message of the group (or the storm digest that
 * names it), and the thread note when it resolves. Content is queued in the durable outbox with
 * the group's version (`sourceVersion`), so a render from an older version never replaces a newer
 * one; a digest's renders are numbered, and the one numbered last read the store last.
 */
import type { AlertingConfig } from '../../config/alerting.js';
import type { Clock } from '../clock.js';
import type { Coordination } from '../coordination/types.js';
import type { Collection } from '../store/types.js';
import type { Outbox } from '../outbox/index.js';
import { formatDuration } from '../duration.js';
import type { AlertGroup } from './group.js';
import { renderDigest, renderGroup, renderResolvedNote } from './render.js';
import type { DigestBook, Digest } from './storm.js';
import type { ReplyBlock } from '../reply.js';

/** What another part of the bot adds to group messages (escalations: their state, and stopping on an ack). */
export interface GroupExtension {
  /** Blocks shown on the group's message after its fields. */
  blocks(g: AlertGroup): Promise<ReplyBlock[]>;
  /** A change of the group was saved (called after the compare-and-set won; must not throw). */
  saved?(before: AlertGroup, after: AlertGroup): void;
}
import { Coalescer } from './coalescer.js';

export const messageKey = (groupId: string, channel: string) => `g:${groupId}:${channel}`;
export const noteKey = (groupId: string, channel: string) => `r:${groupId}:${channel}`;
const digestKey = (digestId: string) => `d:${digestId}`;

export interface FanoutDeps {
  groups: Collection<AlertGroup>;
  digests: DigestBook;
  outbox: Outbox;
  coordination: Coordination;
  config: AlertingConfig;
  clock: Clock;
}

export class AlertFanout {
  private extension: GroupExtension | undefined;
  /** One digest write per channel at a time in this process, for every group that arrived meanwhile (fewer writes and conflicts in a storm). */
  private readonly digestAdds = new Coalescer<{ groupId: string; now: Date }, Digest>((channel, adds) =>
    this.d.digests.addMany(channel, adds.map((a) => a.groupId), adds.reduce((t, a) => (a.now > t ? a.now : t), adds[0]?.now ?? this.d.clock.date())));
  private readonly digestRenders = new Coalescer<AlertGroup, void>(async (id, changed) => {
    await this.renderDigest(id, changed);
    return [];
  });

  constructor(private d: FanoutDeps) {}

  /** New storm and Silence-button settings (a config reload), for the next group posted. */
  useConfig(config: AlertingConfig): void {
    this.d = { ...this.d, config };
  }

  extend(ext: GroupExtension): void {
    this.extension = ext;
  }

  /** Whether the outbox still holds a message or thread note of group id `id` on one of these channels. */
  async messagesOf(id: string, channels: string[]): Promise<boolean> {
    for (const c of channels) if ((await this.d.outbox.get(messageKey(id, c))) || (await this.d.outbox.get(noteKey(id, c)))) return true;
    return false;
  }

  /** Tells the extension a change of the group was saved. */
  saved(before: AlertGroup, after: AlertGroup): void {
    this.extension?.saved?.(before, after);
  }

  /**
   * Queues every channel's message of `g` (the state about to be saved, `g.version` set), or its
   * digest; the thread note when `prev` was open and `g` is not. A channel where a storm holds
   * the group is added to `g.heldIn`. Returns the digests involved (render them again once saved).
   */
  async notify(prev: AlertGroup | undefined, g: AlertGroup): Promise<Digest[]> {
    const { outbox, digests, config, clock } = this.d;
    const out: Digest[] = [];
    const now = clock.date();
    const heldIn = new Set(g.heldIn);
    for (const target of g.routes) {
      const ch = target.channel;
      const key = messageKey(g._id, ch);
      const existing = await outbox.get(key);
      // Held in a digest (checked in the store too when there is no message: a re-applied entry after a crash).
      const held = heldIn.has(ch) || !existing ? await digests.holding(ch, g._id) : null;
      if (held) {
        await this.enqueueDigest(held, g);
        out.push(held);
        continue;
      }
      if (!existing) {
        const slot = await this.d.coordination.rateLimit(`storm:${ch}`, config.storm.threshold, config.storm.window);
        if (!slot.allowed) {
          const d = await this.digestAdds.run(ch, { groupId: g._id, now });
          heldIn.add(ch);
          g.heldIn = [...heldIn];
          await this.enqueueDigest(d, g);
          out.push(d);
          continue;
        }
      }
      await outbox.enqueue(key, ch, await this.renderFull(g, target), this.version(g));
      if (existing && prev?.open && !g.open) {
        await outbox.enqueue(noteKey(g._id, ch), ch, renderResolvedNote(g, now), { kind: 'reply', parent: key, ...this.version(g) });
      }
    }
    return out;
  }

  /**
   * Queues again what `g` (as stored) shows where it already shows: after a change computed from
   * an older version lost its compare-and-set, what that attempt queued is replaced.
   */
  async repaint(g: AlertGroup): Promise<void> {
    const { outbox, digests, clock } = this.d;
    for (const target of g.routes) {
      const ch = target.channel;
      const held = await digests.holding(ch, g._id);
      if (held) await this.enqueueDigest(held, g);
      const key = messageKey(g._id, ch);
      if (await outbox.get(key)) await outbox.enqueue(key, ch, await this.renderFull(g, target), this.version(g));
      if (!g.open && (await outbox.get(noteKey(g._id, ch)))) {
        await outbox.enqueue(noteKey(g._id, ch), ch, renderResolvedNote(g, clock.date()), { kind: 'reply', parent: key, ...this.version(g) });
      }
    }
  }

  /** The group's message in one channel, queued ahead of other work (a storm's release). */
  async release(g: AlertGroup, target: AlertGroup['routes'][number]): Promise<void> {
    await this.d.outbox.enqueue(messageKey(g._id, target.channel), target.channel, await this.renderFull(g, target), { priority: 1, ...this.version(g) });
  }

  render(g: AlertGroup, target: AlertGroup['routes'][number], extra?: ReplyBlock[]) {
    return renderGroup(g, target, { now: this.d.clock.date(), silenceButton: formatDuration(this.d.config.silenceButton), ...(extra?.length ? { extra } : {}) });
  }

  /** The group's message with the extension's blocks. */
  async renderFull(g: AlertGroup, target: AlertGroup['routes'][number]) {
    return this.render(g, target, this.extension ? await this.extension.blocks(g) : undefined);
  }

  /** Digests are rendered again once the group is saved: the render after the last save reads every group of the digest. */
  async rerenderDigests(digests: Digest[], g: AlertGroup): Promise<void> {
    // (Digests are never deleted; the render reads the digest as it is then.)
    for (const d of digests) await this.enqueueDigest(d, g);
  }

  /**
   * Queues a render of the digest showing `changed` as given. One render of a digest runs at a
   * time in this process; requests that arrive meanwhile share the next one (each group shown in
   * the state of its latest request, the others as stored), which starts after all of them, so
   * it numbers itself and reads the store after every save that asked for it. In a storm this is
   * one render per round instead of two per group (fewer conflicts on its outbox entry too; the
   * order across processes comes from the render number).
   */
  private enqueueDigest(held: Digest, changed: AlertGroup): Promise<void> {
    return this.digestRenders.run(held._id, changed);
  }

  private async renderDigest(id: string, changed: AlertGroup[]): Promise<void> {
    const shown = new Map(changed.map((g) => [g._id, g] as const)); // the latest request of a group wins
    // Numbered before reading the groups: the highest number read the store after every save that came before it.
    const next = await this.d.digests.nextRender(id);
    if (!next) return;
    const d = next.digest;
    const others = await this.d.groups.find({ _id: { $in: d.groups.filter((g) => !shown.has(g)) } });
    const byId = new Map([...others.map((g) => [g._id, g] as const), ...shown]);
    const ordered = d.groups.map((g) => byId.get(g)).filter((g): g is AlertGroup => g !== undefined);
    await this.d.outbox.enqueue(digestKey(d._id), d.channel, renderDigest(ordered, { now: this.d.clock.date() }), { sourceVersion: next.n });
  }

  private version(g: AlertGroup): { sourceVersion?: number } {
    return g.version !== undefined ? { sourceVersion: g.version } : {};
  }
}

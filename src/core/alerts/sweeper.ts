/**
 * Time-driven changes: storms that are over (the still-open groups of their digests get their own
 * message, after anything more urgent) and silences that ran out (the group shows firing again,
 * with its buttons, in every message). Runs on the injected clock; every change is a
 * compare-and-set, so two processes sweeping at once change each group once.
 */
import type { Logger } from 'pino';
import type { AlertingConfig } from '../../config/alerting.js';
import type { Clock, Timer } from '../clock.js';
import type { Collection } from '../store/types.js';
import { nextVersion } from '../compare-and-set.js';
import type { AlertGroup } from './group.js';
import type { GroupWriter } from './group-writer.js';
import type { AlertFanout } from './fanout.js';
import type { DigestBook } from './storm.js';
import type { AlertEvent } from './events.js';

export interface SweeperDeps {
  groups: Collection<AlertGroup>;
  digests: DigestBook;
  writer: GroupWriter;
  fanout: AlertFanout;
  config: AlertingConfig;
  clock: Clock;
  log: Logger;
  report: (e: AlertEvent) => Promise<void>;
}

export class AlertSweeper {
  private timer: Timer | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private d: SweeperDeps) {}

  /** New storm settings (a config reload), from the next sweep on. */
  useConfig(config: AlertingConfig): void {
    this.d = { ...this.d, config };
  }

  /** Sweeps every quarter of the storm window (between 200 ms and 5 s). */
  start(): void {
    const every = () => Math.max(200, Math.min(5000, Math.floor(this.d.config.storm.window / 4)));
    const tick = () => {
      if (this.stopped) return;
      void this.sweep().catch((e) => this.d.log.error({ err: e }, 'storm sweep failed')).finally(() => {
        if (!this.stopped) this.timer = this.d.clock.setTimeout(tick, every());
      });
    };
    this.timer = this.d.clock.setTimeout(tick, every());
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One sweep that starts after this call (after the one running, if any). */
  async sweep(): Promise<void> {
    while (this.current) await this.current.catch(() => undefined);
    this.current = (async () => {
      await this.releaseStorms();
      await this.expireSilences();
    })().finally(() => { this.current = undefined; });
    return this.current;
  }

  private async releaseStorms(): Promise<void> {
    const { digests, writer, fanout, config, clock } = this.d;
    const quiet = await digests.quiet(clock.date(), config.storm.window);
    for (const d of quiet) {
      if (!(await digests.markClosed(d))) continue;
      const fresh = await digests.holdingById(d._id);
      const released: string[] = [];
      for (const id of fresh?.groups ?? d.groups) {
        const r = await writer.change(id, undefined, async (g) => {
          if (!g.heldIn.includes(d.channel)) return undefined;
          const next = { ...g, heldIn: g.heldIn.filter((c) => c !== d.channel), version: nextVersion(g) };
          const target = g.routes.find((t) => t.channel === d.channel);
          if (config.storm.releaseOpenGroups && g.open && target) await fanout.release(next, target);
          return next;
        }, { notify: false }).catch((e: unknown) => {
          this.d.log.error({ err: e, alert: id, digest: d._id }, 'could not release a group from its storm digest');
          return undefined;
        });
        if (r?.changed && r.after.open) released.push(id);
      }
      await digests.markReleased(d._id);
      await this.d.report({
        action: 'alert.storm_released', alertIds: released, channels: [d.channel], at: clock.date(),
        detail: `storm digest ${d._id} in ${d.channel} released: ${released.length} open group(s) got their own message${released.length ? ` (${released.join(', ')})` : ''}`,
      });
    }
  }

  private async expireSilences(): Promise<void> {
    const { groups, writer, clock } = this.d;
    const now = clock.date();
    for (const g of await groups.find({ open: true, silencedUntil: { $lt: now } })) {
      const r = await writer.change(g._id, g.groupKey, (cur) => {
        if (!cur.open || !cur.silencedUntil || cur.silencedUntil >= now) return undefined;
        const { silenceId: _id, silencedBy: _by, silencedUntil: _until, ...rest } = cur;
        return { ...rest, updatedAt: now };
      });
      if (r.changed) {
        await this.d.report({
          action: 'alert.silence_expired', alertId: g._id, groupKey: g.groupKey, channels: g.routes.map((t) => t.channel), at: now,
          detail: `silence ${r.before.silenceId ?? '?'} of alert group ${g._id} by ${r.before.silencedBy ?? '?'} ran out`,
        });
      }
    }
  }
}

/**
 * Handoff announcements: when a schedule with `handoffChannel` changes hands, one line goes to
 * that channel and the person coming on call gets a direct message. The last announced person
 * is a record per schedule changed by compare-and-set, so with several replicas one announces.
 */
import type { Logger } from 'pino';
import { DateTime } from 'luxon';
import type { ScheduleConfig } from '../../config/oncall-schema.js';
import type { Clock, Timer } from '../clock.js';
import type { People } from '../people.js';
import type { Collection, Store } from '../store/types.js';
import { isDuplicateKey } from '../store/types.js';
import type { Reply } from '../reply.js';
import type { OnCall } from './service.js';

interface HandoffRecord {
  _id: string;
  person: string | null;
  since: Date;
  version: number;
}

export interface HandoffOutbox {
  enqueue(key: string, channel: string, reply: Reply, opts?: { priority?: number }): Promise<void>;
}

export class Handoffs {
  private readonly c: Collection<HandoffRecord>;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly d: {
    oncall: OnCall; schedules: Record<string, ScheduleConfig>; store: Store; outbox: HandoffOutbox; people: People; clock: Clock; log: Logger;
    dmAddress: (identity: string) => string; everyMs?: number;
  }) {
    this.c = d.store.collection<HandoffRecord>('oncall_handoffs');
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      void this.check().catch((e) => this.d.log.error({ err: e }, 'handoff check failed')).finally(() => {
        if (!this.stopped) this.timer = this.d.clock.setTimeout(loop, this.d.everyMs ?? 30_000);
      });
    };
    loop();
  }

  /** The schedules of a reloaded config: the next check announces by them. */
  setSchedules(schedules: Record<string, ScheduleConfig>): void {
    this.d.schedules = schedules;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Announces every schedule whose on-call changed since the last announcement. */
  async check(): Promise<void> {
    const now = this.d.clock.now();
    for (const [name, cfg] of Object.entries(this.d.schedules)) {
      if (!cfg.handoffChannel) continue;
      const person = (await this.d.oncall.answerAt(name, new Date(now))).person ?? null;
      const rec = await this.c.findOne({ _id: name });
      if (!rec) {
        // First sight: remember without announcing (a fresh start is not a handoff).
        try { await this.c.insertOne({ _id: name, person, since: new Date(now), version: 1 }); } catch (e) { if (!isDuplicateKey(e)) throw e; }
        continue;
      }
      if (rec.person === person) continue;
      const won = await this.c.updateOne({ _id: name, version: rec.version }, { $set: { person, since: new Date(now) }, $inc: { version: 1 } });
      if (won.matched === 0) continue; // another replica announced it
      await this.announce(name, cfg, rec.person, person, now);
    }
  }

  private async announce(name: string, cfg: ScheduleConfig, from: string | null, to: string | null, now: number): Promise<void> {
    const until = this.d.oncall.schedule(name).until(now, await this.d.oncall.overridesOf(name, new Date(now)));
    const untilText = until ? ` until ${DateTime.fromMillis(until, { zone: cfg.timezone }).toFormat('ccc dd LLL HH:mm')} (${cfg.timezone})` : '';
    const line: Reply = {
      title: `On call for ${name}: ${to ? `@${to}` : 'nobody'}`,
      status: to ? 'info' : 'warn',
      blocks: [{ type: 'text', text: `${from ? `@${from}` : 'Nobody'} hands over to ${to ? `@${to}` : 'nobody'}${untilText}.` }],
      visibility: 'channel',
    };
    const key = `handoff:${name}:${now}`;
    await this.d.outbox.enqueue(key, cfg.handoffChannel as string, line);
    const person = to ? this.d.people.get(to) : undefined;
    for (const identity of person?.identities ?? []) {
      await this.d.outbox.enqueue(`${key}:${identity}`, this.d.dmAddress(identity), { ...line, title: `You are on call for ${name}${untilText}` });
    }
  }
}

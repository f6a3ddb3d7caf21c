/**
 * Alert groups from Alertmanager to chat, the facade the webhook edge and the commands use.
 * `receive()` stores the notification in the inbox (inbox.ts) and returns; the processor
 * (processor.ts) applies it to the groups and the fan-out (fanout.ts) queues each channel's
 * message in the durable outbox (or a storm digest); the sweeper (sweeper.ts) releases storms and
 * expires silences. Every change of a group, digest and outbox entry is a compare-and-set on its
 * version (group-writer.ts), so several processes and replicas over one store lose nothing.
 */
import type { Logger } from 'pino';
import type { AlertingConfig, AlertRouteConfig } from '../../config/alerting.js';
import { systemClock, type Clock } from '../clock.js';
import { changeById } from '../compare-and-set.js';
import type { Coordination } from '../coordination/types.js';
import type { Collection, Store } from '../store/types.js';
import type { Outbox } from '../outbox/index.js';
import { UserError } from '../errors.js';
import type { People } from '../people.js';
import type { WebhookPayload } from './payload.js';
import { AlertRouter } from './routing.js';
import { acknowledge, resolveByHand, silence, type AlertGroup, type GroupState } from './group.js';
import { DigestBook, type Digest, type DigestRenders } from './storm.js';
import type { AlertMetrics } from './metrics.js';
import { eventReporter, type AlertEventSink } from './events.js';
import { AlertFanout, type GroupExtension } from './fanout.js';
import { GroupWriter } from './group-writer.js';
import { AlertInbox } from './inbox.js';
import { AlertProcessor } from './processor.js';
import { AlertSweeper } from './sweeper.js';

export { messageKey } from './fanout.js';

export interface AlertServiceOptions {
  store: Store;
  coordination: Coordination;
  outbox: Outbox;
  config: AlertingConfig;
  log: Logger;
  metrics?: AlertMetrics;
  /** Time for every state change and timer (default: the system clock). */
  clock?: Clock;
  /** @deprecated pass `clock`; still honoured for the current time when `clock` is not given. */
  now?: () => Date;
  /** Back-off between rounds when applying a notification fails (default 2s, growing). */
  applyRetryMs?: number;
  /** How soon to look again when another process holds the inbox lock (default 1s). */
  lockRetryMs?: number;
  /** System changes for the audit trail (group opened, resolved by Alertmanager, silence expired, storm released). */
  onEvent?: AlertEventSink;
  /** `people:`, for `person:<id>` mentions of routes. */
  people?: Pick<People, 'get'>;
  /**
   * Whether a record outside alerting still names this group id (an escalation is keyed by it):
   * a new group never takes such an id, although retention removed the group that had it.
   */
  idInUse?: (id: string) => Promise<boolean>;
}

/** Longer than the processor's retries and an inbox lock's lifetime: intake that waits this long is stuck. */
const INTAKE_STALL_MS = 120_000;

function clockOf(opts: AlertServiceOptions): Clock {
  if (opts.clock) return opts.clock;
  const now = opts.now;
  if (!now) return systemClock;
  return { now: () => now().getTime(), date: () => now(), setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms) };
}

export class AlertService {
  private readonly groups: Collection<AlertGroup>;
  private readonly digests: DigestBook;
  private readonly clock: Clock;
  private readonly inbox: AlertInbox;
  private readonly fanout: AlertFanout;
  private readonly writer: GroupWriter;
  private readonly processor: AlertProcessor;
  private readonly sweeper: AlertSweeper;
  private ready: Promise<void> | undefined;

  constructor(private readonly opts: AlertServiceOptions) {
    const { store, coordination, outbox, config, log } = opts;
    this.clock = clockOf(opts);
    this.groups = store.collection<AlertGroup>('alert_groups');
    this.digests = new DigestBook(store.collection<Digest>('alert_digests'), store.collection<DigestRenders>('alert_digest_renders'), config.storm.digestMaxGroups);
    this.inbox = new AlertInbox(store, this.clock);
    this.fanout = new AlertFanout({ groups: this.groups, digests: this.digests, outbox, coordination, config, clock: this.clock });
    this.writer = new GroupWriter(this.groups, this.fanout);
    const report = eventReporter(opts.onEvent, log);
    this.processor = new AlertProcessor({
      inbox: this.inbox, groups: this.groups, writer: this.writer, router: new AlertRouter(config.routes, config.defaultChannel, opts.people),
      coordination, clock: this.clock, log, report, idTaken: async (id, channels) => (await this.fanout.messagesOf(id, channels)) || ((await opts.idInUse?.(id)) ?? false),
      ...(opts.applyRetryMs !== undefined ? { applyRetryMs: opts.applyRetryMs } : {}),
      ...(opts.lockRetryMs !== undefined ? { lockRetryMs: opts.lockRetryMs } : {}),
    });
    this.sweeper = new AlertSweeper({ groups: this.groups, digests: this.digests, writer: this.writer, fanout: this.fanout, config, clock: this.clock, log, report });
  }

  init(): Promise<void> {
    this.ready ??= Promise.all([
      this.groups.createIndex({ groupKey: 1 }),
      this.groups.createIndex({ open: 1 }),
      this.inbox.init(),
      this.digests.init(),
    ]).then(() => undefined, (e: unknown) => {
      // A failed start (the store hiccuped) is tried again by the next caller, never remembered.
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  /** Processes what a previous run accepted but did not finish, and starts the storm sweeper. */
  async start(): Promise<void> {
    await this.init();
    await this.inbox.loadPending();
    this.processor.kick();
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    this.sweeper.stop();
    await this.processor.stop();
  }

  /**
   * Accepts a validated notification: `duplicate` when it was seen before (nothing changes),
   * otherwise it is stored and processed shortly after.
   */
  async receive(payload: WebhookPayload): Promise<'accepted' | 'duplicate'> {
    await this.init();
    const r = await this.inbox.receive(payload);
    if (r === 'duplicate') return r;
    for (const a of payload.alerts) this.opts.metrics?.alerts.inc({ status: a.status });
    this.processor.noteIntake();
    this.processor.kick();
    return r;
  }

  /**
   * Why alert intake has stopped making progress (an inbox write stuck, or accepted notifications
   * not applied) for longer than `stallMs` (default 2 minutes); undefined while it moves. For /readyz.
   */
  intakeStalledReason(stallMs = INTAKE_STALL_MS): Promise<string | undefined> {
    return this.inbox.stalledReason(stallMs);
  }

  /** Settles when every accepted notification has been applied (tests, benchmarks). */
  settled(): Promise<void> {
    return this.processor.settled();
  }

  /** Storms that are over and silences that ran out (the sweeper calls this on its own). */
  sweepStorms(): Promise<void> {
    return this.sweeper.sweep();
  }

  /** The outbox delivered a message: note when the group was last notified. */
  async delivered(item: { _id: string; sentAt?: Date }): Promise<void> {
    const m = /^g:([0-9a-f]+):/.exec(item._id);
    const sentAt = item.sentAt;
    if (!m || !sentAt) return;
    await changeById(this.groups, m[1] as string, (g) => (g.lastNotifiedAt && g.lastNotifiedAt >= sentAt ? undefined : { ...g, lastNotifiedAt: sentAt }));
  }

  // ---- what commands do -------------------------------------------------------------

  async find(id: string): Promise<AlertGroup> {
    await this.init();
    const clean = id.trim().toLowerCase();
    if (!/^[0-9a-f]{4,16}$/.test(clean)) throw new UserError('invalid', `"${id}" is not an alert id (like a1b2; \`alerts\` lists them)`);
    return this.writer.get(clean);
  }

  /** Open groups, newest first. */
  async listOpen(limit = 50): Promise<AlertGroup[]> {
    await this.init();
    return this.groups.find({ open: true }, { sort: { firstSeenAt: -1 }, limit });
  }

  async countOpen(): Promise<number> {
    await this.init();
    return this.groups.countDocuments({ open: true });
  }

  /** Open groups per state, counted in the store (no group is loaded). */
  async countByState(): Promise<Map<GroupState, number>> {
    await this.init();
    const now = this.clock.date();
    const notSilenced = { $or: [{ silencedUntil: { $exists: false } }, { silencedUntil: { $lte: now } }] };
    const [open, silenced, acknowledged] = await Promise.all([
      this.groups.countDocuments({ open: true }),
      this.groups.countDocuments({ open: true, silencedUntil: { $gt: now } }),
      this.groups.countDocuments({ open: true, ackedAt: { $exists: true }, ...notSilenced }),
    ]);
    const out = new Map<GroupState, number>();
    const firing = open - silenced - acknowledged;
    if (firing > 0) out.set('firing', firing);
    if (acknowledged > 0) out.set('acknowledged', acknowledged);
    if (silenced > 0) out.set('silenced', silenced);
    return out;
  }

  /**
   * New routes and default channel (a config reload): groups that open from now on are routed by
   * them; open groups keep the channels and routes they were posted to.
   */
  setRouting(routes: readonly AlertRouteConfig[], defaultChannel: string, people?: Pick<People, 'get'>): void {
    this.processor.useRouter(new AlertRouter(routes, defaultChannel, people ?? this.opts.people));
  }

  /**
   * New storm and Silence-button settings (a config reload of `alerting.storm`,
   * `alerting.silenceButton`): from the next group posted and the next sweep on. A storm under
   * way keeps its digests; they take the new size from their next group.
   */
  setSettings(config: AlertingConfig): void {
    this.fanout.useConfig(config);
    this.sweeper.useConfig(config);
    this.digests.setMaxGroups(config.storm.digestMaxGroups);
  }

  /** The group as its message shows it (with the escalation's state), for `alerts <id>`. */
  renderFor(g: AlertGroup) {
    return this.fanout.renderFull(g, g.routes[0] ?? { channel: this.opts.config.defaultChannel, route: 'default' });
  }

  /** Adds blocks to every group message and hears every saved change (the escalations). */
  extend(ext: GroupExtension): void {
    this.fanout.extend(ext);
  }

  /** Shows the group's messages again where they already show (an extension's blocks changed). */
  async repaint(id: string): Promise<void> {
    await this.init();
    await this.writer.repaint(id);
  }

  async acknowledge(id: string, who: string): Promise<AlertGroup> {
    return this.command(id, (g) => {
      if (!g.open) throw new UserError('conflict', `Alert ${g._id} is already resolved.`);
      if (g.ackedAt) throw new UserError('conflict', `Alert ${g._id} was already acknowledged by ${g.ackedBy ?? 'someone'} at ${g.ackedAt.toISOString()}.`);
      return acknowledge(g, who, this.clock.date());
    });
  }

  async resolve(id: string, who: string): Promise<AlertGroup> {
    return this.command(id, (g) => {
      if (!g.open) throw new UserError('conflict', `Alert ${g._id} is already resolved.`);
      return resolveByHand(g, who, this.clock.date());
    });
  }

  /** Records a silence that was created in Alertmanager. */
  async recordSilence(id: string, who: string, silenceId: string, until: Date): Promise<AlertGroup> {
    return this.command(id, (g) => silence(g, who, silenceId, until, this.clock.date()));
  }

  /** The labels a silence for this group matches: its group labels, else its common labels. */
  silenceMatchers(g: AlertGroup): Record<string, string> {
    return Object.keys(g.groupLabels).length ? g.groupLabels : g.commonLabels;
  }

  private async command(id: string, fn: (g: AlertGroup) => AlertGroup): Promise<AlertGroup> {
    const first = await this.find(id);
    return (await this.writer.change(first._id, first.groupKey, fn)).after;
  }
}

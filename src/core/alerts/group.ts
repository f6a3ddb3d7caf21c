/**
 * The alert-group state machine, pure: applying a notification to a group, and the state a group
 * shows (firing → acknowledged / silenced → resolved). A group that is resolved and fires again
 * becomes a new occurrence with its own short id.
 */
import { createHash } from 'node:crypto';
import { parseEnd, type WebhookPayload } from './payload.js';
import type { RouteTarget } from './routing.js';

export interface StoredAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  endsAt?: Date;
  generatorURL: string;
}

export interface AlertGroup {
  /** Short id people type: `ack a1b2`. Stable for one occurrence of a group. */
  _id: string;
  groupKey: string;
  occurrence: number;
  /** What Alertmanager says (all alerts resolved or not). */
  status: 'firing' | 'resolved';
  open: boolean;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  truncatedAlerts: number;
  alerts: StoredAlert[];
  routes: RouteTarget[];
  firstSeenAt: Date;
  updatedAt: Date;
  lastNotifiedAt?: Date;
  ackedBy?: string;
  ackedAt?: Date;
  silenceId?: string;
  silencedBy?: string;
  silencedUntil?: Date;
  resolvedAt?: Date;
  /** Set when a person resolved it by command rather than Alertmanager. */
  resolvedBy?: string;
  /** Hashes of the notifications already applied (duplicates change nothing). */
  seen: string[];
  /** Channels where this group is named in a storm digest instead of having its own message yet. */
  heldIn: string[];
  /** Incremented by every change (compare-and-set); absent on groups saved before versions existed. */
  version?: number;
  /** Set on a new group until its messages are queued (a crash in between is repaired by re-applying). */
  pendingFanout?: true;
}

export type GroupState = 'firing' | 'acknowledged' | 'silenced' | 'resolved';

export function stateOf(g: Pick<AlertGroup, 'open' | 'silencedUntil' | 'ackedAt'>, now = Date.now()): GroupState {
  if (!g.open) return 'resolved';
  if (g.silencedUntil && g.silencedUntil.getTime() > now) return 'silenced';
  if (g.ackedAt) return 'acknowledged';
  return 'firing';
}

export const SEEN_KEEP = 20;

/**
 * How long the same notification counts as a duplicate: an HA peer's copy and Alertmanager's own
 * retries arrive within seconds. Its repeat (`repeat_interval`, hours by default) is byte for byte
 * the same notification too; after this window it is news again for a group resolved by hand.
 */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** A group a person resolved by hand while Alertmanager still fires: the same notification, once the duplicate window has passed, opens a new occurrence. */
export function reopensOnRepeat(g: Pick<AlertGroup, 'open' | 'resolvedBy' | 'resolvedAt'>, status: 'firing' | 'resolved', now: Date): boolean {
  return !g.open && Boolean(g.resolvedBy) && status === 'firing' && now.getTime() - (g.resolvedAt?.getTime() ?? 0) >= DUPLICATE_WINDOW_MS;
}

/** The id of occurrence `n` of a group: hex of a hash, as short as uniqueness allows (at least 4). */
export function shortIdCandidates(groupKey: string, occurrence: number): string[] {
  const hex = createHash('sha256').update(`${groupKey}\0${occurrence}`).digest('hex');
  const out: string[] = [];
  for (let len = 4; len <= 16; len++) out.push(hex.slice(0, len));
  return out;
}

export function counts(g: Pick<AlertGroup, 'alerts'>): { firing: number; resolved: number } {
  let firing = 0;
  for (const a of g.alerts) if (a.status === 'firing') firing++;
  return { firing, resolved: g.alerts.length - firing };
}

function toStored(a: WebhookPayload['alerts'][number]): StoredAlert {
  const endsAt = a.status === 'resolved' ? parseEnd(a.endsAt) : undefined;
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt),
    ...(endsAt ? { endsAt } : {}),
    generatorURL: a.generatorURL,
  };
}

/** What a group takes over from each notification as it is. */
function payloadFields(p: WebhookPayload): Pick<AlertGroup, 'receiver' | 'groupLabels' | 'commonLabels' | 'commonAnnotations' | 'externalURL' | 'truncatedAlerts'> {
  const { receiver, groupLabels, commonLabels, commonAnnotations, externalURL, truncatedAlerts } = p;
  return { receiver, groupLabels, commonLabels, commonAnnotations, externalURL, truncatedAlerts };
}

/** A fresh group (first occurrence or a reopening) from a notification. */
export function newGroup(id: string, occurrence: number, p: WebhookPayload, routes: RouteTarget[], hash: string, now: Date): AlertGroup {
  const g: AlertGroup = {
    _id: id,
    groupKey: p.groupKey,
    occurrence,
    status: p.status,
    open: true,
    ...payloadFields(p),
    alerts: [],
    routes,
    firstSeenAt: now,
    updatedAt: now,
    seen: [],
    heldIn: [],
  };
  return applyNotification(g, p, hash, now);
}

/**
 * Applies a notification: alerts are merged by fingerprint (the payload is Alertmanager's whole
 * view of the group, so when it is not truncated, an alert it no longer lists has been resolved).
 * Returns a new object; the input is not changed.
 */
export function applyNotification(prev: AlertGroup, p: WebhookPayload, hash: string, now: Date): AlertGroup {
  const byFp = new Map(prev.alerts.map((a) => [a.fingerprint, a] as const));
  const listed = new Set<string>();
  for (const a of p.alerts) {
    listed.add(a.fingerprint);
    byFp.set(a.fingerprint, toStored(a));
  }
  if (p.truncatedAlerts === 0 || p.status === 'resolved') {
    for (const [fp, a] of byFp) {
      if (!listed.has(fp) && a.status === 'firing') byFp.set(fp, { ...a, status: 'resolved', endsAt: now });
    }
  }
  const alerts = [...byFp.values()].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.fingerprint.localeCompare(b.fingerprint));
  const anyFiring = p.status === 'firing' && alerts.some((a) => a.status === 'firing');
  const next: AlertGroup = {
    ...prev,
    status: anyFiring ? 'firing' : 'resolved',
    open: anyFiring,
    ...payloadFields(p),
    alerts: anyFiring ? alerts : alerts.map((a) => (a.status === 'firing' ? { ...a, status: 'resolved' as const, endsAt: now } : a)),
    updatedAt: now,
    seen: [...prev.seen, hash].slice(-SEEN_KEEP),
  };
  if (!anyFiring && prev.open) next.resolvedAt = now;
  return next;
}

/** A person resolved the group by command: it closes; Alertmanager firing again opens a new occurrence. */
export function resolveByHand(g: AlertGroup, who: string, now: Date): AlertGroup {
  return { ...g, open: false, status: 'resolved', resolvedAt: now, resolvedBy: who, updatedAt: now };
}

export function acknowledge(g: AlertGroup, who: string, now: Date): AlertGroup {
  return { ...g, ackedBy: who, ackedAt: now, updatedAt: now };
}

export function silence(g: AlertGroup, who: string, silenceId: string, until: Date, now: Date): AlertGroup {
  return { ...g, silenceId, silencedBy: who, silencedUntil: until, updatedAt: now };
}

/** The group's name: its alertname, or the group labels. */
export function groupName(g: Pick<AlertGroup, 'groupLabels' | 'commonLabels' | 'alerts'>): string {
  const name = g.commonLabels.alertname ?? g.groupLabels.alertname;
  if (name) return name;
  const names = [...new Set(g.alerts.map((a) => a.labels.alertname).filter(Boolean))];
  if (names.length) return names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
  const gl = Object.entries(g.groupLabels).map(([k, v]) => `${k}=${v}`).join(' ');
  return gl || 'alert group';
}

export function severityOf(g: Pick<AlertGroup, 'commonLabels' | 'alerts'>): string {
  const order = ['critical', 'error', 'high', 'warning', 'medium', 'low', 'info', 'none'];
  if (g.commonLabels.severity) return g.commonLabels.severity;
  let best: string | undefined;
  for (const a of g.alerts) {
    const s = a.labels.severity;
    if (!s) continue;
    if (best === undefined || (order.indexOf(s) !== -1 && (order.indexOf(best) === -1 || order.indexOf(s) < order.indexOf(best)))) best = s;
  }
  return best ?? 'none';
}

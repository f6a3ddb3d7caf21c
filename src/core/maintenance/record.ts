/**
 * A maintenance window as stored (collection `maintenance_windows`). Two actors may change one
 * (the `maintenance end` command, the expiry timer of any process), so every change is a
 * compare-and-set on `version`.
 */
import type { MaintenanceWindow } from './port.js';

export const MAINTENANCE_COLLECTION = 'maintenance_windows';

export interface MaintenanceRecord extends Omit<MaintenanceWindow, 'id'> {
  _id: string;
  /**
   * `<target>` while the window is open, `<target>#<id>` once it ended: a unique index on it
   * keeps at most one open window per target, on every store and across processes.
   */
  slot: string;
  state: 'active' | 'ended';
  /** The end asked for at the start (`until` moves earlier when the window is ended by hand). */
  plannedUntil: Date;
  /** `<surface>:<channel>` told when the window starts and ends. */
  channel: string;
  /** Alertmanager silences made for the window. */
  silenceIds: string[];
  /** Why the target's alerts are not silenced in Alertmanager (no ALERTMANAGER_URL). */
  silenceNote?: string;
  endedAt?: Date;
  /** Who ended it: a person, or `opsbot` when its time ran out. */
  endedBy?: string;
  /** The end was announced (and audited); until then any process's sweep finishes it. */
  endAnnounced: boolean;
  createdAt: Date;
  version: number;
}

/** The port's view of a record. */
export function windowOf(r: MaintenanceRecord): MaintenanceWindow {
  return { id: r._id, target: r.target, from: r.from, until: r.until, by: r.by, ...(r.reason ? { reason: r.reason } : {}) };
}

/**
 * The escalation record (one per alert group occurrence) and its store. Every change is a
 * compare-and-set on the record's version and run id, so a step claimed by one process is never
 * claimed again by another, and a record replaced by a newer escalation of the group is never
 * written by the older one.
 */
import type { Collection, Store } from '../store/types.js';
import type { Fired, MachineState, Phase, PolicySnapshot } from './machine.js';
import type { PageRecord } from './render.js';

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

export interface Pending {
  fired: Fired;
  lateMs?: number;
  nextAt?: number;
  by?: string;
  /** `escalate --to <person>`: page only this person (not a step of the policy). */
  person?: string;
}

/** The record's fields that mirror the machine (phase and due time, for the store's queries). */
export function machineFields(m: MachineState): Pick<EscalationRecord, 'machine' | 'phase' | 'dueAt'> {
  return { machine: m, phase: m.phase, dueAt: new Date(Math.min(m.dueAt, 8.64e15)) };
}

/** The escalations collection, its index, and compare-and-set updates. */
export class EscalationStore {
  readonly c: Collection<EscalationRecord>;
  private ready: Promise<void> | undefined;

  constructor(store: Store, name = 'escalations') {
    this.c = store.collection<EscalationRecord>(name);
  }

  init(): Promise<void> {
    this.ready ??= Promise.all([this.c.createIndex({ phase: 1, dueAt: 1 })]).then(() => undefined);
    return this.ready;
  }

  /** Compare-and-set on the version and the run id; undefined when someone else changed it first. */
  async cas(rec: EscalationRecord, set: Partial<EscalationRecord>, unset: string[] = []): Promise<EscalationRecord | undefined> {
    const r = await this.c.updateOne(
      { _id: rec._id, version: rec.version, runId: rec.runId },
      { $set: set, $inc: { version: 1 }, ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, true])) } : {}) },
    );
    return r.matched === 1 ? { ...rec, ...set, version: rec.version + 1 } : undefined;
  }
}

/**
 * The durable record of one runbook run. Every change is a compare-and-set on `version`: the
 * executor, a `runbook cancel` typed in another process and an approval decided elsewhere may
 * all change the same run.
 */
import { randomBytes } from 'node:crypto';
import type { Subject } from '../command.js';
import type { AuditOwner } from '../audit/entry.js';
import type { Collection, Store } from '../store/types.js';
import type { Status } from '../reply.js';
import type { RunbookStep } from './definition.js';

export type RunState = 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export type StepState = 'pending' | 'running' | 'waiting' | 'ok' | 'failed' | 'skipped' | 'interrupted' | 'cancelled';

export interface StepRecord {
  state: StepState;
  /** The command line with its values, quoted (what ran). */
  line: string;
  startedAt?: number;
  endedAt?: number;
  /** The child invocation (the last one, for a watch). */
  invocationId?: string;
  /** The approval request the step waits on (or waited on). */
  approval?: string;
  /** One line: the child's title, or why the step failed. */
  summary?: string;
  status?: Status;
  /** For a watch: repetitions done so far, and of how many. */
  done?: number;
  total?: number;
}

export interface RunRecord {
  /** 8 hex characters: `runbook cancel 3f9a2c1b`. */
  _id: string;
  runbook: string;
  description?: string;
  /** The steps as they were when the run started (a config change never alters a running run). */
  definition: RunbookStep[];
  /** The params' values (alert labels only reach the rendered lines). */
  values: Record<string, string>;
  target?: string;
  alert?: string;
  /** Whose rights every step runs with. */
  subject: Subject;
  surface: string;
  /** The chat channel it was started in (passed to every step's invocation). */
  channel?: string;
  /** The invocation that started the run: the parent of every step's invocation. */
  invocationId: string;
  /** `<surface>:<channel>` addresses of the living message. */
  channels: string[];
  state: RunState;
  /** Index of the current step (= steps.length when done). */
  step: number;
  steps: StepRecord[];
  /** The approval request the run waits on (state `waiting`). */
  waiting?: string;
  /** The process driving it (state `running`), and until when its lease holds. */
  owner?: AuditOwner;
  leaseUntil?: number;
  reason?: string;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  version: number;
}

export const ACTIVE_STATES: readonly RunState[] = ['running', 'waiting'];

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export class ConflictError extends Error {}

/** The runs collection, with compare-and-set updates. */
export class RunStore {
  readonly c: Collection<RunRecord>;
  private ready: Promise<void> | undefined;

  constructor(store: Store, name = 'runbook_runs') {
    this.c = store.collection<RunRecord>(name);
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([this.c.createIndex({ state: 1 }), this.c.createIndex({ waiting: 1 })]).then(() => undefined);
    return this.ready;
  }

  async insert(run: Omit<RunRecord, 'version'>): Promise<RunRecord> {
    await this.init();
    return this.c.insertOne({ ...run, version: 1 });
  }

  async get(id: string): Promise<RunRecord | null> {
    await this.init();
    return this.c.findOne({ _id: id });
  }

  async find(filter: Record<string, unknown>, limit = 50): Promise<RunRecord[]> {
    await this.init();
    return this.c.find(filter, { sort: { createdAt: -1 }, limit });
  }

  /**
   * Reads the run, lets `change` decide (undefined: nothing to do), and writes it only if nobody
   * changed it in between; on a conflict it reads again and asks again. A field set to
   * `undefined` is removed.
   */
  async mutate(id: string, change: (run: RunRecord) => Partial<RunRecord> | undefined, now: number): Promise<RunRecord | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const run = await this.get(id);
      if (!run) return null;
      const set = change(run);
      if (!set) return run;
      const fields: Record<string, unknown> = {};
      const unset: Record<string, ''> = {};
      for (const [k, v] of Object.entries({ ...set, updatedAt: now })) {
        if (k === '_id' || k === 'version') continue;
        if (v === undefined) unset[k] = '';
        else fields[k] = v;
      }
      const update = { $set: fields, $inc: { version: 1 }, ...(Object.keys(unset).length ? { $unset: unset } : {}) };
      const r = await this.c.updateOne({ _id: id, version: run.version }, update);
      if (r.matched === 1) {
        const next = { ...run, ...fields, version: run.version + 1 } as Record<string, unknown>;
        for (const k of Object.keys(unset)) delete next[k];
        return next as unknown as RunRecord;
      }
    }
    throw new ConflictError(`run ${id} kept changing under this update`);
  }
}

/** The steps array with one step replaced (records are never mutated in place). */
export function withStep(run: RunRecord, i: number, patch: Partial<StepRecord>): StepRecord[] {
  return run.steps.map((s, j) => (j === i ? { ...s, ...patch } : s));
}

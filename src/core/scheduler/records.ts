/**
 * The scheduler's records: `job_runs` (one per run; the unique `claim` makes each scheduled time
 * run once across replicas and processes) and `job_state` (pause, the running run, the last
 * result), the latter changed only by compare-and-set on `version`.
 */
import type { Collection, Store } from '../store/types.js';
import { isDuplicateKey } from '../store/types.js';
import { UserError } from '../errors.js';
import type { JobDefinition, JobRun, JobState } from './types.js';

const CAS_ATTEMPTS = 50;

/** A job's state before any process changed it: paused as its config says. */
export function initialJobState(def: JobDefinition): Omit<JobState, '_id' | 'version'> {
  return { paused: def.paused, pausedBy: def.paused ? 'config' : null, pausedAt: null, pauseNoted: false, running: null, lastSlot: null, last: null, failingSince: null };
}

export class JobRecords {
  private readonly runs: Collection<JobRun>;
  private readonly states: Collection<JobState>;
  private ready: Promise<void> | undefined;

  constructor(store: Store) {
    this.runs = store.collection<JobRun>('job_runs');
    this.states = store.collection<JobState>('job_state');
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await this.runs.createIndex({ claim: 1 }, { unique: true });
      await this.runs.createIndex({ job: 1, startedAt: -1 });
    })();
    return this.ready;
  }

  /** Inserts the run; false when its claim is taken (another process has this tick). */
  async claim(run: JobRun): Promise<boolean> {
    await this.init();
    try {
      await this.runs.insertOne(run);
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  /** Changes a run only if it is still in one of `from` (compare-and-set on its version). */
  async updateRun(id: string, from: readonly JobRun['state'][], set: Partial<Omit<JobRun, '_id' | 'version'>>): Promise<boolean> {
    await this.init();
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const cur = await this.runs.findOne({ _id: id });
      if (!cur || !from.includes(cur.state)) return false;
      const r = await this.runs.updateOne({ _id: id, version: cur.version }, { $set: set, $inc: { version: 1 } });
      if (r.matched) return true;
    }
    throw new UserError('conflict', `job run ${id} is being changed by someone else; try again`);
  }

  /** Removes a run record (a claimed tick that turned out to need none). */
  async dropRun(id: string): Promise<void> {
    await this.init();
    await this.runs.deleteOne({ _id: id });
  }

  async run(id: string): Promise<JobRun | null> {
    await this.init();
    return this.runs.findOne({ _id: id });
  }

  async history(job: string, limit: number): Promise<JobRun[]> {
    await this.init();
    return (await this.runs.find({ job }, { sort: { startedAt: -1 }, limit })).map(revive);
  }

  async state(job: string): Promise<JobState | null> {
    const s = await this.states.findOne({ _id: job });
    return s ? reviveState(s) : null;
  }

  /**
   * Reads the job's state (creating it from `initial` the first time), applies `change` to a copy
   * and writes it back if nobody changed it in between; otherwise reads again and retries.
   * Returns what `change` returned and the state before it.
   */
  async mutate<R>(job: string, initial: () => Omit<JobState, '_id' | 'version'>, change: (s: JobState) => R): Promise<{ result: R; before: JobState }> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      let cur = await this.state(job);
      if (!cur) {
        try {
          await this.states.insertOne({ _id: job, version: 1, ...initial() });
        } catch (e) {
          if (!isDuplicateKey(e)) throw e;
        }
        continue;
      }
      const before = reviveState(structuredClone(cur));
      const next = reviveState(structuredClone(cur));
      const result = change(next);
      const { _id, version, ...fields } = next;
      void _id;
      const r = await this.states.updateOne({ _id: job, version }, { $set: fields, $inc: { version: 1 } });
      if (r.matched) return { result, before };
      cur = null;
    }
    throw new UserError('conflict', `job ${job} is being changed by someone else; try again`);
  }
}

/** A Date of this realm (the store or structuredClone may hand back another realm's, e.g. under jest). */
const asDate = (d: unknown): Date => new Date(d instanceof Date ? d.getTime() : (d as string | number));
const maybeDate = (d: unknown): Date | null => (d === null || d === undefined ? null : asDate(d));

function revive(r: JobRun): JobRun {
  return {
    ...r, startedAt: asDate(r.startedAt),
    ...(r.slot ? { slot: asDate(r.slot) } : {}),
    ...(r.finishedAt ? { finishedAt: asDate(r.finishedAt) } : {}),
  };
}

function reviveState(s: JobState): JobState {
  return {
    ...s,
    pausedAt: maybeDate(s.pausedAt),
    lastSlot: maybeDate(s.lastSlot),
    failingSince: maybeDate(s.failingSince),
    running: s.running ? { runId: s.running.runId, until: asDate(s.running.until) } : null,
    last: s.last ? { ...s.last, finishedAt: asDate(s.last.finishedAt) } : null,
  };
}

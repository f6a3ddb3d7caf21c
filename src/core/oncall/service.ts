/**
 * On-call as the rest of the bot sees it: the configured schedules, the overrides in the store,
 * and who is on call (at an instant, on each layer, next). Overrides are written once and
 * deleted, never changed in place, so two actors cannot overwrite each other's.
 */
import type { ScheduleConfig } from '../../config/oncall-schema.js';
import type { Clock } from '../clock.js';
import type { People } from '../people.js';
import type { Collection, Store } from '../store/types.js';
import { UserError } from '../errors.js';
import { newId } from '../ids.js';
import { Schedule, type Answer, type Override, type Shift } from './schedule.js';

export type { Override, Shift, Answer };

/** Who a notify target `{ schedule, layer }` reaches: a person, or why nobody. */
export type Reach = { person: string } | { nobody: string };

const MAX_OVERRIDE_MS = 90 * 86_400_000;

export class OnCall {
  private schedules = new Map<string, Schedule>();
  private readonly overrides: Collection<Override>;
  private ready: Promise<void> | undefined;

  constructor(schedules: Record<string, ScheduleConfig>, private readonly deps: { store: Store; people: People; clock: Clock }) {
    for (const [name, cfg] of Object.entries(schedules)) this.schedules.set(name, new Schedule(name, cfg));
    this.overrides = deps.store.collection<Override>('oncall_overrides');
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([this.overrides.createIndex({ schedule: 1 }), this.overrides.createIndex({ until: 1 })]).then(() => undefined);
    return this.ready;
  }

  /** The schedules of a reloaded config (overrides in the store stay; one of a removed schedule is kept but unused). */
  setSchedules(schedules: Record<string, ScheduleConfig>): void {
    this.schedules = new Map(Object.entries(schedules).map(([name, cfg]) => [name, new Schedule(name, cfg)]));
  }

  names(): string[] {
    return [...this.schedules.keys()];
  }

  schedule(name: string): Schedule {
    const s = this.schedules.get(name);
    if (!s) throw new UserError('not_found', `No schedule "${name}" (schedules: ${this.names().join(', ') || 'none configured'}).`);
    return s;
  }

  /** Overrides of a schedule that end after `after`. */
  async overridesOf(schedule: string, after = new Date(0)): Promise<Override[]> {
    await this.init();
    return this.overrides.find({ schedule, until: { $gt: after } }, { sort: { from: 1 } });
  }

  async addOverride(input: { schedule: string; person: string; from: Date; durationMs: number; by: string }): Promise<Override> {
    this.schedule(input.schedule);
    if (!this.deps.people.get(input.person)) throw new UserError('not_found', `No person "${input.person}" in people: (${this.deps.people.all().map((p) => p.id).join(', ') || 'none'}).`);
    if (input.durationMs < 60_000 || input.durationMs > MAX_OVERRIDE_MS) throw new UserError('invalid', 'An override lasts between 1m and 90d.');
    await this.init();
    const now = this.deps.clock.date();
    const o: Override = { _id: newId().slice(0, 6), schedule: input.schedule, person: input.person, from: input.from, until: new Date(input.from.getTime() + input.durationMs), by: input.by, createdAt: now };
    return this.overrides.insertOne(o);
  }

  async removeOverride(id: string): Promise<Override> {
    await this.init();
    const o = await this.overrides.findOne({ _id: id });
    if (!o) throw new UserError('not_found', `No override ${id} (\`oncall <schedule>\` lists them).`);
    if ((await this.overrides.deleteOne({ _id: id })) === 0) throw new UserError('conflict', `Override ${id} was removed meanwhile.`);
    return o;
  }

  async findOverride(id: string): Promise<Override | null> {
    await this.init();
    return this.overrides.findOne({ _id: id });
  }

  async answerAt(schedule: string, at: Date): Promise<Answer> {
    return this.schedule(schedule).at(at.getTime(), await this.overridesOf(schedule, new Date(at.getTime() - MAX_OVERRIDE_MS)));
  }

  async timeline(schedule: string, from: Date, to: Date): Promise<Shift[]> {
    return this.schedule(schedule).timeline(from.getTime(), to.getTime(), await this.overridesOf(schedule, from));
  }

  /** Who `{ schedule, layer }` pages at `at`; a person missing from `people:` (a broken override) is nobody. */
  async reach(schedule: string, layer: string, at: Date): Promise<Reach> {
    const s = this.schedule(schedule);
    const overrides = await this.overridesOf(schedule, new Date(at.getTime() - MAX_OVERRIDE_MS));
    const t = at.getTime();
    const person = layer === 'current' ? s.at(t, overrides).person : layer === 'next' ? s.nextAt(t, overrides) : s.layerPersonAt(layer, t);
    const what = layer === 'current' ? `schedule ${schedule}` : `schedule ${schedule} (${layer})`;
    if (!person) return { nobody: `nobody is on call for ${what}` };
    if (!this.deps.people.get(person)) return { nobody: `${what} names "${person}", who is not in people:` };
    return { person };
  }
}

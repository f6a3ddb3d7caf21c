/**
 * Cron expressions in a time zone, as pure functions of a given instant (croner's parser): the
 * next slot after a time, the latest slot at or before it, and how many fell in between. The
 * scheduler arms its own timers on the injected clock from these, so a `ManualClock` drives it
 * in tests exactly as the system clock does in production.
 */
import { Cron } from 'croner';

/** Longest a timer is armed for; a later slot is reached by re-arming (Node's timers overflow past 24.8 days). */
export const MAX_TIMER_MS = 6 * 3_600_000;

export class CronSchedule {
  private readonly cron: Cron;

  constructor(readonly expression: string, readonly timezone: string) {
    this.cron = new Cron(expression, { paused: true, timezone, mode: '5-or-6-parts' });
  }

  /** The first slot strictly after `after`. */
  next(after: Date): Date | undefined {
    return this.cron.nextRun(new Date(after.getTime())) ?? undefined;
  }

  /** The latest slot at or before `at`. */
  latest(at: Date): Date | undefined {
    return this.cron.previousRuns(1, new Date(at.getTime() + 1))[0];
  }

  /** Slots in (`after`, `until`], counted up to `cap`. */
  countBetween(after: Date, until: Date, cap = 1000): number {
    let n = 0;
    for (let t = this.next(after); t && t.getTime() <= until.getTime() && n < cap; t = this.next(t)) n++;
    return n;
  }
}

/** Why an expression is not usable, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  try {
    const c = new CronSchedule(expression, 'UTC');
    if (!c.next(new Date())) return `Cron expression "${expression}" never fires`;
    return undefined;
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^CronPattern: /, '') : String(e);
    return `Invalid cron expression "${expression}" (five fields: minute hour day month weekday, or six with seconds first): ${why}`;
  }
}

/** Why a time zone is not an IANA name this runtime knows, or undefined when it is. */
export function timezoneProblem(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return undefined;
  } catch {
    return `Unknown time zone "${tz}" (use an IANA name such as Europe/Berlin or UTC)`;
  }
}

/** `2026-01-02 02:00 Europe/Berlin`: a slot in the job's own time zone. */
export function formatInZone(d: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(d);
  const p = (type: string) => parts.find((x) => x.type === type)?.value ?? '';
  const seconds = p('second') === '00' ? '' : `:${p('second')}`;
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}${seconds} ${timezone}`;
}

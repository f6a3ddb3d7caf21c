/**
 * The one source of time for state machines and timers. Production uses `systemClock`; tests
 * pass a `ManualClock` and move time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** The current time as a Date. */
  date(): Date;
  /** Calls `fn` after `ms` (of this clock's time). The timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): Timer;
}

export interface Timer {
  cancel(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told (tests). Timers fire in due order inside `advance`. */
export class ManualClock implements Clock {
  private t: number;
  private readonly timers = new Set<{ due: number; fn: () => void }>();

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.t;
  }

  date(): Date {
    return new Date(this.t);
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { due: this.t + Math.max(0, ms), fn };
    this.timers.add(timer);
    return { cancel: () => { this.timers.delete(timer); } };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers].filter((x) => x.due <= end).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.timers.delete(next);
      this.t = Math.max(this.t, next.due);
      next.fn();
    }
    this.t = end;
  }

  /** Sets the time (never backwards). */
  set(at: number | Date): void {
    const target = typeof at === 'number' ? at : at.getTime();
    if (target > this.t) this.advance(target - this.t);
  }
}

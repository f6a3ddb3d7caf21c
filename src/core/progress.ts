/**
 * Progress of a long operation while it runs (`backup run`: dumping, compressing, verifying…).
 * A handler calls `ctx.progress?.(text)`; the surface that started the invocation shows it (the
 * console prints a line, Slack replaces its "Working on…" answer, Discord edits the deferred
 * response). The router throttles: at most one update per `minIntervalMs` (a burst keeps only the
 * latest text, sent when the interval is up), updates reach the surface one at a time and in order,
 * and none arrives after the operation's result.
 */
import type { Clock, Timer } from './clock.js';

/** What ops and handlers report to: one short line of text about the step now running. */
export type ProgressFn = (text: string) => void;

/** How a surface shows a progress line (may be async: a chat edit). */
export type ProgressSink = (text: string) => void | Promise<void>;

/** Longest progress line passed on; longer text is cut with an ellipsis. */
export const PROGRESS_MAX_CHARS = 300;

export interface ThrottledProgress {
  report: ProgressFn;
  /** No further updates (a pending one is dropped); resolves when the update in flight is done. */
  close(): Promise<void>;
}

export function throttledProgress(sink: ProgressSink, opts: { clock: Clock; minIntervalMs?: number; onError?: (e: unknown) => void }): ThrottledProgress {
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  let last = -Infinity;
  let latest: string | undefined;
  let timer: Timer | undefined;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const send = () => {
    timer = undefined;
    if (closed || latest === undefined) return;
    const text = latest;
    latest = undefined;
    last = opts.clock.now();
    chain = chain.then(() => sink(text)).catch((e: unknown) => opts.onError?.(e));
  };

  return {
    report(text) {
      if (closed) return;
      const line = text.replace(/\s+/g, ' ').trim();
      if (!line) return;
      latest = line.length > PROGRESS_MAX_CHARS ? `${line.slice(0, PROGRESS_MAX_CHARS - 1)}…` : line;
      if (timer) return;
      const wait = last + minIntervalMs - opts.clock.now();
      if (wait <= 0) send();
      else timer = opts.clock.setTimeout(send, wait);
    },
    async close() {
      closed = true;
      timer?.cancel();
      timer = undefined;
      await chain;
    },
  };
}

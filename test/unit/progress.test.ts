/** Progress of a long operation: throttled to one update a second, latest text wins, nothing after the result. */
import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import { PROGRESS_MAX_CHARS, throttledProgress } from '../../src/core/progress.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('throttledProgress', () => {
  it('given a burst of steps, then the first is shown at once and only the latest of the rest a second later', async () => {
    const clock = new ManualClock();
    const shown: [number, string][] = [];
    const p = throttledProgress((t) => { shown.push([clock.now() - Date.UTC(2026, 0, 1), t]); }, { clock });
    p.report('dumping');
    p.report('compressing');
    p.report('verifying');
    await flush();
    expect(shown).toEqual([[0, 'dumping']]);
    clock.advance(999);
    await flush();
    expect(shown).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(shown).toEqual([[0, 'dumping'], [1000, 'verifying']]);
    // a step long after the last update is shown at once
    clock.advance(5000);
    p.report('retention');
    await flush();
    expect(shown.at(-1)).toEqual([6000, 'retention']);
  });

  it('given a pending update, when the operation ends, then it is dropped and nothing is shown after close', async () => {
    const clock = new ManualClock();
    const shown: string[] = [];
    const p = throttledProgress((t) => { shown.push(t); }, { clock });
    p.report('one');
    p.report('two');
    await p.close();
    clock.advance(2000);
    p.report('three');
    await flush();
    expect(shown).toEqual(['one']);
  });

  it('given a slow surface, then updates reach it one at a time and close waits for the one in flight', async () => {
    const clock = new ManualClock();
    const events: string[] = [];
    let release: () => void = () => undefined;
    const p = throttledProgress((t) => new Promise<void>((r) => { events.push(`start ${t}`); release = () => { events.push(`end ${t}`); r(); }; }), { clock });
    p.report('a');
    clock.advance(1000);
    p.report('b');
    await flush();
    expect(events).toEqual(['start a']);
    const closed = p.close().then(() => events.push('closed'));
    release();
    await flush();
    await flush();
    release();
    await closed;
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'closed']);
  });

  it('given a multi-line or overlong text, then one line is shown, cut with an ellipsis; a failing surface is reported, not thrown', async () => {
    const clock = new ManualClock();
    const shown: string[] = [];
    const errors: unknown[] = [];
    const p = throttledProgress((t) => { shown.push(t); if (t.startsWith('x')) throw new Error('chat down'); }, { clock, onError: (e) => errors.push(e) });
    p.report(`x${'y'.repeat(400)}\nsecond line`);
    await p.close();
    expect(shown[0]).toHaveLength(PROGRESS_MAX_CHARS);
    expect(shown[0]?.endsWith('…')).toBe(true);
    expect(shown[0]).not.toContain('\n');
    expect(errors).toHaveLength(1);
  });
});

/**
 * Reloading `retention` in a real bot on a manual clock: the sweep timer is armed again for the
 * new interval, and the next sweep removes by the new ages.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reloadingBot, type Reloading } from '../support/reloading-bot.js';
import { waitFor } from '../support/servers.js';
import { ManualClock } from '../../src/core/clock.js';

const MIN = 60_000;
const DAY = 86_400_000;

describe('reload of retention: new ages and a re-armed sweep', () => {
  // 00:30 UTC: with a daily interval the next sweep is 23.5 hours away.
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 0, 30));
  let r: Reloading;
  const config = (retention: string) => `
bot: { consoleUser: "console:op" }
retention: ${retention}
`;
  const audit = () => r.t.bot.store.collection<{ _id: string; at: Date }>('audit');
  const fixture = (id: string, ageMs: number) => audit().insertOne({ _id: id, at: new Date(clock.now() - ageMs), subject: 'console:op', command: 'whoami', surface: 'console', decision: 'allowed', state: 'done', outcome: 'ok' } as never);

  beforeAll(async () => {
    r = await reloadingBot(config('{ interval: 1d, audit: 400d }'), { clock });
  }, 30_000);
  afterAll(async () => { await r?.cleanup(); });

  it('given a daily sweep keeping audit 400 days, when reloaded to a 1-minute sweep keeping 1 day, then within minutes the older entries are gone and the newer stay', async () => {
    clock.advance(0);
    await fixture('old-entry', 2 * DAY);
    await fixture('new-entry', 3_600_000);
    const result = await r.reload(config('{ interval: 1m, audit: 1d }'));
    expect(result).toMatchObject({ outcome: 'applied', changed: ['retention'] });

    // A minute at a time (a sweep under way at the reload re-arms when it ends): far less than the
    // 23.5 hours the daily timer had left.
    let minutes = 0;
    await waitFor(async () => {
      clock.advance(MIN);
      minutes++;
      return (await audit().findOne({ _id: 'old-entry' })) === null;
    }, { what: 'the 2-day-old entry swept' });
    expect(minutes).toBeLessThan(60);
    expect(await audit().findOne({ _id: 'new-entry' })).not.toBeNull();
    const swept = await waitFor(async () => (await r.t.bot.audit.list({ limit: 5, command: 'retention.swept' }))[0], { what: 'retention.swept audited' });
    expect(swept.detail).toMatchObject({ removed: { audit: 1 } });
  });
});

/**
 * A group resolved by hand while Alertmanager still fires: Alertmanager's repeat of the same
 * notification (repeat_interval) is byte for byte what it sent before, yet it opens a new
 * occurrence — as the README's `resolve` row promises — once the duplicate window (HA peers,
 * retries) has passed. Driven through the HTTP edge and the router, on the bot's clock.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.js';
import { RecordingGateway } from '../support/recording-gateway.js';
import { hosts, payload } from '../support/alert-payloads.js';
import { ManualClock } from '../../src/core/clock.js';
import { DUPLICATE_WINDOW_MS } from '../../src/core/alerts/group.js';

const TOKEN = 'test-webhook-token-123';
const YAML = `
alerting:
  defaultChannel: fake:alerts
  rate: { messages: 50, per: 1s }
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    "fake:U1": [admin]
`;

describe('resolve by hand, then Alertmanager repeats the same notification', () => {
  let t: TestBot;
  let chat: RecordingGateway;
  const clock = new ManualClock(Date.now());

  beforeEach(async () => {
    chat = new RecordingGateway('fake');
    t = await startTestBot({ yaml: YAML, env: { WEBHOOK_TOKEN: TOKEN }, extra: { chatGateways: [chat], clock } });
  });
  afterEach(async () => {
    await t.stop();
  });

  const send = async (body: unknown): Promise<string> => {
    const res = await fetch(`${t.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { status: string }).status;
  };
  /** Applied and delivered: the outbox spaces its calls on the bot's clock, so time moves on while it drains. */
  const settle = async () => {
    await t.bot.alerts.settled();
    for (let i = 0; ; i++) {
      try {
        await t.bot.outbox.idle(100);
        return;
      } catch (e) {
        if (i > 50) throw e;
        clock.advance(1_000);
      }
    }
  };
  const run = (line: string) => t.bot.router.handle({ subject: { id: 'fake:U1' }, surface: 'fake', line });

  it('given a hand-resolved group, then a copy within the window is a duplicate and the repeat after it opens a new occurrence with its own message', async () => {
    const firing = payload({ alerts: hosts(2) });
    expect(await send(firing)).toBe('accepted');
    await settle();
    const [first] = await t.bot.alerts.listOpen();
    expect((await run(`resolve ${first?._id}`)).outcome).toBe('ok');
    await settle();
    expect(await t.bot.alerts.listOpen()).toHaveLength(0);

    // An HA peer's copy, seconds later: nothing changes.
    clock.advance(10_000);
    expect(await send(firing)).toBe('duplicate');
    await settle();
    expect(await t.bot.alerts.listOpen()).toHaveLength(0);

    // Alertmanager's repeat, after the window: a new occurrence, a new id, a new message.
    clock.advance(DUPLICATE_WINDOW_MS);
    expect(await send(firing)).toBe('accepted');
    await settle();
    const open = await t.bot.alerts.listOpen();
    expect(open).toHaveLength(1);
    expect(open[0]?._id).not.toBe(first?._id);
    expect(open[0]?.occurrence).toBe(2);
    expect(chat.topLevel().map((c) => c.reply.title)).toEqual(['[RESOLVED] HighCPU', '[FIRING:2] HighCPU']);

    // Its own copies are duplicates again.
    expect(await send(firing)).toBe('duplicate');
  });

  it('given an open group, then the repeat after the window changes nothing and posts nothing', async () => {
    const firing = payload({ alerts: hosts(1) });
    await send(firing);
    await settle();
    const calls = chat.calls.length;
    clock.advance(3 * 3_600_000);
    // Its age is told on the bot's clock.
    expect(JSON.stringify((await run('alerts')).reply.blocks)).toMatch(/"3h( 0m)? ago"/);
    await send(firing);
    await settle();
    expect(await t.bot.alerts.listOpen()).toHaveLength(1);
    expect(chat.calls).toHaveLength(calls);
  });

  it('given a group Alertmanager resolved, then the same firing notification again is not a new occurrence after the window', async () => {
    const firing = payload({ alerts: hosts(1) });
    await send(firing);
    await send(payload({ alerts: hosts(1, { status: 'resolved' }) }));
    await settle();
    clock.advance(DUPLICATE_WINDOW_MS + 1_000);
    await send(firing);
    await settle();
    // Alertmanager resolved it: a stale copy of the old firing notification does not reopen it.
    expect(await t.bot.alerts.listOpen()).toHaveLength(0);
  });
});

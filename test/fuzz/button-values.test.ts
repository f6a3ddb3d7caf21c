/**
 * Fuzzing button values through the real adapters: Slack `block_actions` (real Bolt, signed by the
 * protocol stand-in) and Discord `custom_id`s (the adapter's ButtonCommands parsing). Arbitrary
 * values are refused cleanly and audited; a press runs at most the one command line it carries,
 * under the presser's RBAC, never anything else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { z } from 'zod';
import { startTestBot, type TestBot } from '../support/bot.js';
import { slackEnv, startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { waitFor } from '../support/servers.js';
import { bindArgs, stripPrefix, tokenize } from '../../src/bot/parse.js';
import { defineCommand } from '../../src/core/command.js';
import { ButtonCommands, inlineCustomId, isOpsCustomId, type StoredButton } from '../../src/bot/adapters/discord/buttons.js';
import { EmbeddedStore } from '../../src/core/store/index.js';

const YAML = `
rbac:
  roles:
    presser: { allow: [probe] }
  subjects:
    slack:U0ALICE: [presser]
`;

describe('Slack button values under arbitrary input (real Bolt)', () => {
  let slack: SlackStandIn;
  let t: TestBot;
  const ran: string[] = [];

  beforeAll(async () => {
    slack = await startSlackStandIn();
    t = await startTestBot({
      yaml: YAML,
      env: slackEnv(slack),
      beforeStart: (bot) => {
        bot.registry.register(defineCommand({
          name: 'probe',
          summary: 'Records what a press ran',
          params: [{ name: 'text', kind: 'positional', type: 'string', rest: true, description: 'anything' }],
          schema: z.object({ text: z.string().optional() }),
          risk: 'write',
          touches: () => [],
          async run(_ctx, a) {
            ran.push(a.text ?? '');
            return { title: 'probed', status: 'ok', blocks: [], visibility: 'ephemeral' };
          },
        }));
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await slack?.close();
  });

  const auditCount = async () => (await t.bot.audit.list({ limit: 10_000 })).length;

  /** Presses one button whose `value` is anything (not only strings) and waits for its audit entry. */
  async function press(value: unknown, actionId = 'opsbot:run:0'): Promise<{ status: number; audited: number }> {
    const before = await auditCount();
    const payload = slack.blockActionsPayload({ value: '', userId: 'U0ALICE', actionId });
    const action = (payload.actions as Record<string, unknown>[])[0] as Record<string, unknown>;
    // The message carries the same button (Slack sends the message the press was made on).
    const onMessage = ((payload.message as { blocks: { elements: Record<string, unknown>[] }[] }).blocks[0]?.elements ?? [])[0] as Record<string, unknown>;
    for (const o of [action, onMessage]) {
      if (value === undefined) delete o.value;
      else o.value = value;
    }
    const res = await slack.sendSigned(t.baseUrl, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    if (!actionId.startsWith('opsbot:run:')) return { status: res.status, audited: 0 };
    await waitFor(async () => ((await auditCount()) > before ? true : undefined), { timeoutMs: 5000, what: 'an audit entry for the press' });
    return { status: res.status, audited: (await auditCount()) - before };
  }

  it('given arbitrary string values, when pressed, then 200, one audit entry each, and probe runs only with exactly what a `probe …` value says', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ maxLength: 40 }).map((s) => `probe ${s}`),
      fc.constantFrom('probe a; restart db', 'probe a\nrestart db', 'restart db', '/ops probe x', 'probe --as admin x', 'probe "unclosed', 'help', '   '),
    ), async (value) => {
      const before = ran.length;
      const { status, audited } = await press(value);
      expect(status).toBe(200);
      expect(audited).toBe(1);
      const newRuns = ran.slice(before);
      expect(newRuns.length).toBeLessThanOrEqual(1);
      if (newRuns.length) {
        const tokens = stripPrefix(tokenize(value));
        expect(tokens[0]).toBe('probe');
        expect(newRuns[0]).toBe(bindArgs(tokens.slice(1), [{ name: 'text', kind: 'positional', type: 'string', rest: true, description: '' }]).values.text ?? '');
      }
    }), { numRuns: 40 });
  });

  it('given values that are not strings, when pressed, then refused with a rejection in the audit and nothing run', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.constant(undefined), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }), fc.constantFrom('', '  ')), async (value) => {
      const before = ran.length;
      const { status, audited } = await press(value);
      expect(status).toBe(200);
      expect(audited).toBe(1);
      expect(ran.length).toBe(before);
      const [last] = await t.bot.audit.list({ limit: 1 });
      expect(JSON.stringify(last)).toMatch(/rejected|button/);
    }), { numRuns: 15 });
  });

  it('given an action id that is not ours, when pressed with any value, then nothing runs', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 30 }).filter((s) => !s.startsWith('opsbot:run:')), fc.string({ maxLength: 30 }).map((s) => `probe ${s}`), async (actionId, value) => {
      const before = ran.length;
      const { status } = await press(value, actionId);
      expect(status).toBe(200);
      await new Promise((r) => setTimeout(r, 20));
      expect(ran.length).toBe(before);
    }), { numRuns: 15 });
  });
});

describe('Discord custom_ids under arbitrary input (the adapter\'s ButtonCommands)', () => {
  let store: EmbeddedStore;
  let buttons: ButtonCommands;
  const known = new Map<string, string>();

  beforeAll(async () => {
    store = await EmbeddedStore.open(null);
    buttons = new ButtonCommands(store.collection<StoredButton>('discord_buttons'));
    // Some stored (long) commands, as a rendered message would have.
    const long = `logs web --since 2h --grep ${'x'.repeat(120)}`;
    const idOf = await buttons.prepare({ title: 't', status: 'ok', blocks: [], visibility: 'channel', buttons: [{ label: 'L', command: long }] });
    known.set(idOf(long, 0) as string, long);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('given any custom_id, when parsed, then it is ignored, refused (undefined) or yields only the command the id itself carries or the store holds', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.string({ maxLength: 60 }).map((s) => `ops:${s}`),
      fc.string({ maxLength: 60 }).map((s) => `ops#${s}`),
      fc.string({ maxLength: 20 }).map((s) => `ops#0:${s}`),
    ), async (id) => {
      const command = await buttons.commandOf(id);
      if (command === undefined) return;
      expect(isOpsCustomId(id)).toBe(true);
      if (id.startsWith('ops:')) expect(id.endsWith(`:${command}`)).toBe(true);
      else expect(known.get(id)).toBe(command);
    }), { numRuns: 300 });
  });

  it('given any command short enough to inline, when made into a custom_id and parsed back, then the same command', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 90 }), fc.nat({ max: 24 }), async (command, index) => {
      const id = inlineCustomId(command, index);
      if (id === undefined) return;
      expect(id.length).toBeLessThanOrEqual(100);
      expect(await buttons.commandOf(id)).toBe(command);
    }), { numRuns: 300 });
  });
});

/**
 * The Bolt listeners: the `/ops` slash command and button presses (`block_actions`). Both turn
 * into one router invocation as the Slack user who typed or pressed.
 *
 * Slash commands are always acknowledged within Slack's 3 s: a reply ready within `ackWithinMs`
 * goes in the ack itself (ephemeral) or, for channel results, is posted after an empty ack; a
 * slower one is acked at once with "Working on …" and answered through the response_url. With
 * `ackWithinMs` 0 every command is acked with "Working on …" before it runs.
 */
import type { App, BlockAction, ButtonAction, RespondArguments } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Reply } from '../../../core/reply.js';
import { errorMessage, internalErrorMessage } from '../../../core/errors.js';
import { newInvocationId } from '../../../core/ids.js';
import type { Router } from '../../router.js';
import type { RouterResult } from '../../../core/invocation.js';
import type { SlackSubjects } from './subjects.js';
import type { SlackWeb } from './web.js';
import { renderSlack } from './render.js';
import { renderButtonOutcome } from './outcome.js';
import { pressNotOnMessage } from './pressed.js';
import { escapeCut, unescapeSlackText } from './mrkdwn.js';
import type { SlackMessage } from './limits.js';
import type { ProgressSink } from '../../../core/progress.js';

/** How many times a slash command's "Working on…" answer is replaced with progress (response_url takes 5 responses). */
export const SLACK_PROGRESS_UPDATES = 3;

export interface SlackInteractionDeps {
  router: Router;
  web: SlackWeb;
  subjects: SlackSubjects;
  log: Logger;
  /** The slash command, `/ops`. */
  command: string;
  /** Answer in the ack when the router is done within this long (well below Slack's 3 s). */
  ackWithinMs: number;
  /** Posts a rendered message to a channel (the surface's delivery path). */
  postMessage(channel: string, msg: SlackMessage, thread?: string): Promise<unknown>;
}

const PENDING = Symbol('pending');

/** What the user is told about a failed delivery: Slack's error code (`not_in_channel`), never an exception's text (that goes to the log). */
function deliveryCode(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `Slack said ${escapeCut(String(code), 60)}` : 'delivery error, see the bot\'s logs';
}

function within<T>(p: Promise<T>, ms: number): Promise<T | typeof PENDING> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<typeof PENDING>((r) => { timer = setTimeout(() => r(PENDING), ms); })]).finally(() => clearTimeout(timer));
}

/** Channel posts that cannot work (bot not in the channel, a DM): fall back to the response_url. */
const FALLBACK_CODES = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'missing_scope']);

export function registerSlackListeners(app: App, deps: SlackInteractionDeps): void {
  const { log } = deps;

  const failureReply = (invocationId: string): Reply => ({
    title: 'Something went wrong',
    status: 'error',
    blocks: [{ type: 'text', text: internalErrorMessage(invocationId) }],
    visibility: 'ephemeral',
  });

  async function runAs(user: { id: string; name?: string | undefined }, line: string, channel: string | undefined, id: string, progress?: ProgressSink): Promise<RouterResult> {
    try {
      const subject = await deps.subjects.subjectOf(user.id, user.name);
      return await deps.router.handle({ subject, surface: 'slack', line, id, ...(channel ? { channel } : {}), ...(progress ? { progress } : {}) });
    } catch (e) {
      log.error({ err: e, invocationId: id }, `slack invocation failed: ${errorMessage(e)}`);
      return { invocationId: id, outcome: 'error', error: { code: 'internal', message: internalErrorMessage(id) }, reply: failureReply(id) };
    }
  }

  /** Posts a channel result; when the bot cannot post there, answers in the channel through the response_url. */
  async function postInChannel(channel: string, msg: SlackMessage, responseUrl: string | undefined): Promise<void> {
    try {
      await deps.postMessage(channel, msg);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (!responseUrl || !FALLBACK_CODES.has(String(code))) throw e;
      log.info({ channel, code }, 'slack post not possible; answering through response_url');
      await deps.web.respond(responseUrl, { response_type: 'in_channel', ...msg });
    }
  }

  app.command(deps.command, async ({ command, ack }) => {
    const line = unescapeSlackText(command.text).trim();
    const id = newInvocationId();
    const who = `\`${escapeCut(`${deps.command} ${line}`.trim(), 300)}\` by <@${command.user_id}>`;
    const working = (step?: string) => `:hourglass_flowing_sand: Working on \`${escapeCut(line || 'help', 200)}\`…${step ? ` ${escapeCut(step, 300)}` : ''} (ref ${id})`;
    let acked = false;
    // Progress replaces the "Working on…" answer through the response_url, which takes 5 responses
    // in all: SLACK_PROGRESS_UPDATES of them, the result and a failure notice. Before the ack the
    // latest step is kept and shown in the ack itself.
    let step: string | undefined;
    let updates = 0;
    const progress: ProgressSink = async (text) => {
      if (!acked) { step = text; return; }
      if (updates >= SLACK_PROGRESS_UPDATES) return;
      updates++;
      await deps.web.respond(command.response_url, { response_type: 'ephemeral', replace_original: true, text: working(text) });
    };
    // `ackWithin: 0`: acknowledged before the command runs, so the ack waits for nothing but the
    // request itself (a burst of commands is acked as fast as it is read); the result follows.
    if (deps.ackWithinMs <= 0) {
      await ack({ response_type: 'ephemeral', text: working() });
      acked = true;
    }
    const running = runAs({ id: command.user_id, name: command.user_name }, line, command.channel_id, id, progress);
    const quick = acked ? PENDING : await within(running, deps.ackWithinMs);
    if (quick === PENDING && !acked) {
      await ack({ response_type: 'ephemeral', text: working(step) });
      acked = true;
    }
    const result = quick === PENDING ? await running : quick;
    const reply = result.reply;
    try {
      if (reply.visibility === 'channel') {
        if (!acked) await ack();
        await postInChannel(command.channel_id, renderSlack(reply, { context: [who] }), command.response_url);
      } else {
        const msg = renderSlack(reply);
        if (!acked) await ack({ response_type: 'ephemeral', ...msg } as RespondArguments);
        else await deps.web.respond(command.response_url, { response_type: 'ephemeral', ...msg });
      }
    } catch (e) {
      log.error({ err: e, invocationId: result.invocationId }, `slack reply could not be delivered: ${errorMessage(e)}`);
      if (acked) {
        await deps.web.respond(command.response_url, { response_type: 'ephemeral', text: `The result of \`${escapeCut(line, 200)}\` could not be posted (${deliveryCode(e)}). Reference: ${result.invocationId}` }).catch(() => undefined);
      }
    }
  });

  // `@opsbot health all` in a channel: the same command line, answered in a thread.
  app.event('app_mention', async ({ event, context }) => {
    if (context.retryNum) return; // already acknowledged and handled the first time
    if (!event.user) return;
    const line = unescapeSlackText(event.text.replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ')).trim();
    const thread = event.thread_ts ?? event.ts;
    const result = await runAs({ id: event.user }, line, event.channel, newInvocationId());
    try {
      if (result.reply.visibility === 'channel') {
        await deps.postMessage(event.channel, renderSlack(result.reply, { context: [`\`${escapeCut(line, 300)}\` by <@${event.user}>`] }), thread);
      } else {
        const msg = renderSlack(result.reply);
        await deps.web.call('chat.postEphemeral', (c) => c.chat.postEphemeral({ channel: event.channel, user: event.user as string, thread_ts: thread, ...msg } as never));
      }
    } catch (e) {
      log.error({ err: errorMessage(e), invocationId: result.invocationId }, 'slack mention reply could not be delivered');
    }
  });

  app.action({ type: 'block_actions' }, async ({ body, action, ack }) => {
    await ack();
    const press = body as BlockAction;
    const button = action as ButtonAction;
    // Link buttons open a URL in the browser; Slack still tells us, and there is nothing to run.
    if (typeof button.action_id !== 'string' || !button.action_id.startsWith('opsbot:run:')) return;
    const channel = press.container?.channel_id ?? press.channel?.id;
    const value = (button as { value?: unknown }).value;
    // A payload we did not send (one of our action ids without a command, or a button the message
    // does not carry) is refused, audited, and told to the presser; nothing runs.
    const refuse = async (message: string, line?: string) => {
      const subject = await deps.subjects.subjectOf(press.user.id, press.user.username ?? press.user.name).catch(() => ({ id: 'slack:(unrecognised user)' }));
      const refused = await deps.router.rejected({ surface: 'slack', subject, what: 'button', code: 'invalid', channel, line, title: 'This button cannot run', message });
      await deps.web.respond(press.response_url, { response_type: 'ephemeral', replace_original: false, ...renderSlack(refused.reply) }).catch((e: unknown) => log.error({ err: e }, 'slack rejection could not be delivered'));
    };
    if (button.type !== 'button' || typeof value !== 'string' || !value.trim()) {
      await refuse(`The pressed ${String(button.type)} carries no command (its value is ${value === undefined ? 'missing' : typeof value === 'string' ? 'empty' : `a ${typeof value}`}). Type the command instead (\`help\` lists them).`);
      return;
    }
    const notOnMessage = pressNotOnMessage(press, button);
    if (notOnMessage) {
      await refuse(`This press was refused: ${notOnMessage}. Type the command instead (\`help\` lists them).`, value);
      return;
    }
    const line = value;
    const id = newInvocationId();
    const result = await runAs({ id: press.user.id, name: press.user.username ?? press.user.name }, line, channel, id);
    const who = `\`${escapeCut(line, 300)}\` by <@${press.user.id}>`;
    try {
      if (result.reply.visibility !== 'channel') {
        await deps.web.respond(press.response_url, { response_type: 'ephemeral', replace_original: false, ...renderSlack(result.reply) });
        return;
      }
      const msg = renderButtonOutcome(press.message?.blocks as unknown[] | undefined, result.reply, who);
      const ts = press.container?.message_ts ?? press.message?.ts;
      if (press.container?.is_ephemeral || !channel || !ts) {
        await deps.web.respond(press.response_url, { replace_original: true, ...msg });
      } else {
        await deps.web.call('chat.update', (c) => c.chat.update({ channel, ts, ...msg } as never));
      }
    } catch (e) {
      log.error({ err: e, invocationId: result.invocationId }, `slack button outcome could not be delivered: ${errorMessage(e)}`);
      await deps.web.respond(press.response_url, { response_type: 'ephemeral', replace_original: false, text: `\`${escapeCut(line, 200)}\`: ${escapeCut(result.reply.title, 200)} — but the message could not be updated (${deliveryCode(e)}). Reference: ${result.invocationId}` }).catch(() => undefined);
    }
  });
}

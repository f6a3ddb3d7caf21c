/**
 * The message a button press leaves behind: the original message without its buttons (and
 * without an earlier outcome), followed by the outcome of the press and who pressed it.
 */
import type { Reply } from '../../../core/reply.js';
import { SLACK_LIMITS, slackLimitViolations, type SlackBlock, type SlackMessage } from './limits.js';
import { renderSlack } from './render.js';

const OUTCOME_PREFIX = 'opsbot:outcome';
const OUTCOME_BLOCKS = 20;

export function renderButtonOutcome(original: unknown[] | undefined, reply: Reply, context: string): SlackMessage {
  const outcome = renderSlack(reply, { context: [context], maxBlocks: OUTCOME_BLOCKS, idPrefix: OUTCOME_PREFIX });
  const kept = (original ?? []).filter((b): b is SlackBlock => {
    const block = b as { type?: unknown; block_id?: unknown };
    if (typeof block.type !== 'string' || block.type === 'actions') return false;
    return !(typeof block.block_id === 'string' && block.block_id.startsWith(OUTCOME_PREFIX));
  }).filter((b) => !(b.type === 'divider' && b.block_id === `${OUTCOME_PREFIX}:divider`));
  const room = SLACK_LIMITS.blocks - outcome.blocks.length - 1;
  const blocks: SlackBlock[] = [...kept.slice(0, room), { type: 'divider', block_id: `${OUTCOME_PREFIX}:divider` }, ...outcome.blocks];
  const msg = { text: outcome.text, blocks };
  // The original came from Slack; if anything in it would make the update fail, show the outcome alone.
  return slackLimitViolations(msg).length ? outcome : msg;
}

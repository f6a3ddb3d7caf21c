/**
 * Is the pressed button one the message carries? Slack sends a `block_actions` payload with the
 * message the button sits on (`message.blocks`, as the bot posted or last updated it). A press
 * whose action (action_id, value, block) is not one of those buttons was not made on that
 * message: a crafted or replayed payload, or a button from an older version of the message.
 *
 * Ephemeral messages are the exception: Slack keeps no copy of them and sends no `message`.
 */

interface PressedAction {
  action_id?: unknown;
  block_id?: unknown;
  value?: unknown;
}

interface PressPayload {
  container?: { type?: unknown; is_ephemeral?: unknown; [key: string]: unknown } | undefined;
  message?: { blocks?: unknown; [key: string]: unknown } | undefined;
}

/** Why the press is not a button of its message, or undefined when it is. */
export function pressNotOnMessage(press: PressPayload, action: PressedAction): string | undefined {
  const container = press.container;
  if (!container || container.type !== 'message') return `it did not come from a message (container ${container ? String(container.type) : 'missing'})`;
  if (container.is_ephemeral === true && press.message === undefined) return undefined;
  const blocks = press.message?.blocks;
  if (!Array.isArray(blocks)) return 'the payload carries no message with buttons';
  for (const block of blocks as unknown[]) {
    const b = block as { type?: unknown; block_id?: unknown; elements?: unknown; accessory?: unknown };
    if (typeof action.block_id === 'string' && typeof b.block_id === 'string' && b.block_id !== action.block_id) continue;
    const elements = b.type === 'actions' && Array.isArray(b.elements) ? b.elements as unknown[] : b.accessory ? [b.accessory] : [];
    for (const e of elements) {
      const el = e as { type?: unknown; action_id?: unknown; value?: unknown };
      if (el.type === 'button' && el.action_id === action.action_id && el.value === action.value) return undefined;
    }
  }
  return 'the pressed button is not on the message';
}

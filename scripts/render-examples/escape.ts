/** HTML escaping shared by the Slack and Discord renderings. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The emoji short codes the bot's messages use, as the characters Slack shows for them. */
const SHORT_CODES: Record<string, string> = {
  white_check_mark: '✅', warning: '⚠️', x: '❌', information_source: 'ℹ️', no_entry: '⛔', rotating_light: '🚨',
  hourglass_flowing_sand: '⏳', bell: '🔔', pager: '📟', arrow_right: '➡️', mute: '🔇', fire: '🔥', heavy_check_mark: '✔️',
};

export function emoji(code: string): string | undefined {
  return SHORT_CODES[code];
}

/**
 * Discord's documented limits (/work/shared/PLATFORM-LIMITS.md). A payload beyond any of them is
 * answered with HTTP 400 and the message is lost, so every renderer checks against these numbers.
 */
export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  embedsTotal: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  rows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  customId: 100,
  buttonUrl: 512,
  commandName: 32,
  commandDescription: 100,
  optionsPerCommand: 25,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  autocompleteChoices: 25,
  /** Names, descriptions and choices of one command together (the conservative documented figure). */
  commandTotal: 4000,
} as const;

/** Discord's rule for command and option names (chat-input commands must be lowercase). */
export const COMMAND_NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** Cuts text to `max` characters, ending in "… and N more characters" when anything was cut. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return text.slice(0, Math.max(0, max));
  for (let keep = Math.max(0, max - 30); keep >= 0; keep -= 10) {
    const tail = `… and ${text.length - keep} more characters`;
    if (keep + tail.length <= max) return text.slice(0, keep) + tail;
  }
  return `${text.slice(0, max - 1)}…`;
}

/** Cuts a one-line label (button label, title) with a plain ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Button `custom_id`s carry the command a press runs: `ops:<n>:<command>` (n keeps ids unique in
 * one message). A command too long for Discord's 100 characters is kept in the store and the id
 * carries its key instead: `ops#<n>:<key>`.
 */
import { randomBytes } from 'node:crypto';
import type { Collection } from '../../../core/store/types.js';
import type { Reply } from '../../../core/reply.js';
import { DISCORD_LIMITS as L } from './limits.js';

export interface StoredButton {
  _id: string;
  command: string;
  at: Date;
}

const INLINE = 'ops:';
const STORED = 'ops#';

export function inlineCustomId(command: string, index: number): string | undefined {
  const id = `${INLINE}${index.toString(36)}:${command}`;
  return id.length <= L.customId ? id : undefined;
}

export function isOpsCustomId(id: string): boolean {
  return id.startsWith(INLINE) || id.startsWith(STORED);
}

/** How long a stored button command stays pressable (Discord messages live for years; commands should not). */
export const STORED_BUTTON_TTL_SECONDS = 30 * 24 * 3600;

export class ButtonCommands {
  private indexed: Promise<void> | undefined;

  constructor(private readonly stored: Collection<StoredButton>) {}

  private ready(): Promise<void> {
    this.indexed ??= this.stored.createIndex({ at: 1 }, { expireAfterSeconds: STORED_BUTTON_TTL_SECONDS });
    return this.indexed;
  }

  /** Stores the commands too long to inline; returns the custom_id function for the renderer. */
  async prepare(reply: Reply): Promise<(command: string, index: number) => string | undefined> {
    const keys = new Map<number, string>();
    for (const [index, b] of (reply.buttons ?? []).entries()) {
      if (!b.command || inlineCustomId(b.command, index)) continue;
      const key = randomBytes(9).toString('base64url');
      await this.ready();
      await this.stored.insertOne({ _id: key, command: b.command, at: new Date() });
      keys.set(index, key);
    }
    return (command, index) => inlineCustomId(command, index) ?? (keys.has(index) ? `${STORED}${index.toString(36)}:${keys.get(index)}` : undefined);
  }

  /** The command a pressed button runs, or undefined when it is not ours or no longer known. */
  async commandOf(customId: string): Promise<string | undefined> {
    const colon = customId.indexOf(':', INLINE.length);
    if (colon === -1) return undefined;
    if (customId.startsWith(INLINE)) return customId.slice(colon + 1);
    if (customId.startsWith(STORED)) return (await this.stored.findOne({ _id: customId.slice(colon + 1) }))?.command;
    return undefined;
  }
}

/** Helpers for backup tests: run a command line through the real router, read replies as text. */
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import type { RouterResult } from '../../src/core/invocation.js';
import type { BackupRecord } from '../../src/ops/backup/types.js';
import type { TestBot } from './bot.js';

export const ADMIN_RBAC = `
rbac:
  roles:
    admin: { allow: ["*"] }
  subjects:
    console:operator: [admin]
`;

export async function exec(tb: TestBot, line: string): Promise<RouterResult & { text: string }> {
  const result = await tb.bot.router.handle({ subject: tb.bot.consoleSubject, surface: 'cli', line });
  return { ...result, text: renderConsole(result.reply, { colour: false, maxCell: 400 }) };
}

export function catalog(tb: TestBot): Promise<BackupRecord[]> {
  return tb.bot.store.collection<BackupRecord>('backups').find({}, { sort: { startedAt: -1 } });
}

/** The backup ids a reply mentions. */
export function idsIn(text: string): string[] {
  return [...new Set(text.match(/[a-z0-9-]+-\d{8}-\d{6}-[0-9a-f]{4}/g) ?? [])];
}

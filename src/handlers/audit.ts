/** `audit [--limit N] [--user U] [--command NAME] [--export jsonl]`: the latest entries, newest first, or the trail as JSONL. */
import { z } from 'zod';
import { defineCommand } from '../core/command.js';
import { table, type Reply } from '../core/reply.js';
import { auditJsonl, type AuditEntry, type AuditLog } from '../core/audit.js';

function entryTable(entries: AuditEntry[]): Reply['blocks'] {
  if (!entries.length) return [{ type: 'text', text: 'No matching audit entries.' }];
  return [table(['When', 'Who', 'Surface', 'Command', 'Decision', 'State', 'Code', 'Time', 'Ref'], entries.map((e) => [
    e.at.toISOString().replace('T', ' ').slice(0, 19),
    e.subject,
    e.origin ? `${e.surface} (${e.origin})` : e.surface,
    e.line.length > 60 ? `${e.line.slice(0, 57)}...` : e.line,
    e.decision,
    e.state,
    e.code ?? '-',
    e.durationMs === undefined ? '-' : `${e.durationMs}ms`,
    e.invocationId,
  ]))];
}

export function auditCommands(audit: AuditLog) {
  return [
    defineCommand({
      name: 'audit',
      summary: 'Show the audit trail: who ran what, when, and how it ended (or export it as JSONL)',
      params: [
        { name: 'limit', kind: 'flag', type: 'number', placeholder: 'N', description: 'How many entries (default 20, at most 500)' },
        { name: 'user', kind: 'flag', type: 'string', placeholder: 'U', description: 'Only this subject (e.g. slack:U123 or U123)' },
        { name: 'command', kind: 'flag', type: 'string', placeholder: 'NAME', description: 'Only this command' },
        { name: 'export', kind: 'flag', type: 'string', placeholder: 'FORMAT', choices: ['jsonl'], description: 'Export the entries as JSON lines (oldest first) instead of a table' },
      ],
      schema: z.object({
        limit: z.coerce.number().int().min(1).max(500).default(20),
        user: z.string().max(128).optional(),
        command: z.string().max(64).optional(),
        export: z.enum(['jsonl']).optional(),
      }),
      risk: 'read',
      async run(_ctx, a) {
        const entries = await audit.list({ limit: a.limit, subject: a.user, command: a.command });
        if (a.export === 'jsonl') {
          return {
            title: `Audit trail: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} as JSONL`,
            status: 'info',
            blocks: [{ type: 'code', title: 'audit.jsonl', language: 'jsonl', text: auditJsonl(entries) }],
            visibility: 'ephemeral',
          };
        }
        return { title: 'Audit trail', status: 'info', blocks: entryTable(entries), visibility: 'ephemeral' };
      },
    }),
  ];
}

/** `audit [--limit N] [--user U]`: the latest invocations, newest first. */
import { z } from 'zod';
import { defineCommand } from '../core/command.js';
import { table } from '../core/reply.js';
import type { AuditLog } from '../core/audit.js';

export function auditCommands(audit: AuditLog) {
  return [
    defineCommand({
      name: 'audit',
      summary: 'Show the audit trail: who ran what, when, and how it ended',
      params: [
        { name: 'limit', kind: 'flag', type: 'number', placeholder: 'N', description: 'How many entries (default 20, at most 500)' },
        { name: 'user', kind: 'flag', type: 'string', placeholder: 'U', description: 'Only this subject (e.g. slack:U123 or U123)' },
        { name: 'command', kind: 'flag', type: 'string', placeholder: 'NAME', description: 'Only this command' },
      ],
      schema: z.object({
        limit: z.coerce.number().int().min(1).max(500).default(20),
        user: z.string().max(128).optional(),
        command: z.string().max(64).optional(),
      }),
      risk: 'read',
      async run(_ctx, a) {
        const entries = await audit.list({ limit: a.limit, subject: a.user, command: a.command });
        return {
          title: 'Audit trail',
          status: 'info',
          blocks: entries.length
            ? [table(['When', 'Who', 'Surface', 'Command', 'Decision', 'Outcome', 'Time', 'Ref'], entries.map((e) => [
                e.at.toISOString().replace('T', ' ').slice(0, 19),
                e.subject,
                e.surface,
                e.line.length > 60 ? `${e.line.slice(0, 57)}...` : e.line,
                e.decision,
                e.outcome,
                `${e.durationMs}ms`,
                e.invocationId,
              ]))]
            : [{ type: 'text', text: 'No matching audit entries.' }],
          visibility: 'ephemeral',
        };
      },
    }),
  ];
}

/**
 * `user unlock|disable|enable <target> <user>`, `user locked <target>`, `user unlock-all <target>`:
 * the account procedures of the reference guides (PixelForge unlock / reset all locked accounts,
 * StormForge disable / enable), driven by each target's `users:` config.
 */
import { z } from 'zod';
import { defineCommand, type ParamSpec } from '../core/command.js';
import { UserError } from '../core/errors.js';
import { fields, table, type Reply } from '../core/reply.js';
import type { UserActionName } from '../config/users-schema.js';
import { PAST_TENSE, type FieldChange, type PlannedChange, type UserDirectory } from '../ops/users/directory.js';
import { showValue } from '../ops/users/values.js';

export interface UsersDeps {
  /** The target's directory, or undefined when the target has none (or does not exist). */
  directory(target: string): UserDirectory | undefined;
  /** Target names, for the "no such target / no user directory" message. */
  targets(): string[];
  directoryTargets(): string[];
}

const targetArg = z.string().min(1).max(64);
/** Whatever was typed is data: quotes, `$`, `;`, newlines included. */
const userArg = z.string().min(1, 'name a user').max(320);

const TARGET_PARAM: ParamSpec = { name: 'target', kind: 'positional', type: 'string', description: 'Target whose users to act on', required: true, complete: 'target' };
const USER_PARAM: ParamSpec = { name: 'user', kind: 'positional', type: 'string', description: 'The user, by the lookup field (email, username)', required: true };

function directoryOf(deps: UsersDeps, target: string): UserDirectory {
  const d = deps.directory(target);
  if (d) return d;
  const known = deps.targets().includes(target);
  const withUsers = deps.directoryTargets();
  throw new UserError(
    'not_found',
    known
      ? `Target "${target}" has no user directory (add users: to its config). Targets with one: ${withUsers.join(', ') || 'none'}.`
      : `No target named "${target}". Targets with a user directory: ${withUsers.join(', ') || 'none'}.`,
  );
}

export const changeText = (c: FieldChange) => `${c.field} ${showValue(c.before)} → ${showValue(c.after)}`;

function changesTable(changes: FieldChange[]) {
  return table(['Field', 'Before', 'After'], changes.map((c) => [c.field, showValue(c.before), showValue(c.after)]));
}

/** Chat messages have limits (Slack: 50 blocks, Discord: 6,000 characters): long lists are cut with a count. */
const MAX_LISTED = 50;
const MAX_DETAILED = 20;

function plannedLines(all: PlannedChange[], total: number): string {
  const users = all.slice(0, MAX_DETAILED);
  const lines = users.map((u) => `${u.user}: ${u.changes.length ? u.changes.map(changeText).join(', ') : 'no field changes'}`);
  if (total > users.length) lines.push(`…and ${total - users.length} more`);
  return lines.join('; ');
}

function actionCommand(name: UserActionName, summary: string, deps: UsersDeps) {
  return defineCommand({
    name: `user ${name}`,
    summary,
    params: [TARGET_PARAM, USER_PARAM],
    schema: z.object({ target: targetArg, user: userArg }),
    risk: 'write',
    targetOf: (a) => a.target,
    async describe(a) {
      const dir = directoryOf(deps, a.target);
      if (!dir.hasAction(name)) return `change nothing: ${a.target} has no "${name}" action configured`;
      let plan;
      try {
        plan = await dir.plan(name, a.user);
      } catch (e) {
        if (e instanceof UserError && (e.code === 'not_found' || e.code === 'conflict')) return `change nothing: ${e.message.replace(/ Nothing was changed\.$/, '')}`;
        throw e;
      }
      if (plan.unchanged) return `change nothing: ${plan.user} on ${a.target} is already ${PAST_TENSE[name]}`;
      return `${name} ${plan.user} on ${a.target} (${dir.where}) by setting ${plan.changes.map(changeText).join(', ')}`;
    },
    async run(_ctx, a): Promise<Reply> {
      const dir = directoryOf(deps, a.target);
      const r = await dir.apply(name, a.user);
      if (r.unchanged) {
        return {
          title: `${r.user} is already ${PAST_TENSE[name]} on ${a.target}`,
          status: 'info',
          blocks: [{ type: 'text', text: 'Nothing was changed.' }],
          visibility: 'channel',
        };
      }
      return {
        title: `User ${PAST_TENSE[name]}: ${r.user} on ${a.target}`,
        status: 'ok',
        blocks: [
          { type: 'text', text: `Changed ${r.changes.length} field${r.changes.length === 1 ? '' : 's'} in ${dir.where}.` },
          changesTable(r.changes),
        ],
        visibility: 'channel',
      };
    },
  });
}

export function userCommands(deps: UsersDeps) {
  return [
    actionCommand('unlock', 'Unlock a user account (clears failed logins and the lock)', deps),
    actionCommand('disable', 'Disable a user account', deps),
    actionCommand('enable', 'Enable a disabled user account', deps),
    defineCommand({
      name: 'user locked',
      summary: 'List the locked user accounts of a target',
      params: [TARGET_PARAM],
      schema: z.object({ target: targetArg }),
      risk: 'read',
      targetOf: (a) => a.target,
      describe: (a) => `list the locked users of ${a.target} (${directoryOf(deps, a.target).where})`,
      async run(_ctx, a): Promise<Reply> {
        const dir = directoryOf(deps, a.target);
        const { total, users } = await dir.listLocked();
        const columns = dir.listFields;
        const listed = users.slice(0, MAX_LISTED);
        const shown = listed.length < total ? ` (showing ${listed.length})` : '';
        return {
          title: `Locked users on ${a.target}: ${total}`,
          status: total ? 'warn' : 'ok',
          blocks: [
            { type: 'text', text: total ? `${total} locked account${total === 1 ? '' : 's'}${shown} in ${dir.where}.` : `No locked accounts in ${dir.where}.` },
            ...(listed.length ? [table(columns, listed.map((u) => columns.map((c) => showValue(u.fields[c]))))] : []),
          ],
          ...(total ? { buttons: [{ label: 'Unlock all', command: `user unlock-all ${a.target}`, style: 'danger' as const }] } : {}),
          visibility: 'channel',
        };
      },
    }),
    defineCommand({
      name: 'user unlock-all',
      summary: 'Unlock every locked account of a target',
      params: [TARGET_PARAM],
      schema: z.object({ target: targetArg }),
      risk: 'dangerous',
      targetOf: (a) => a.target,
      async describe(a) {
        const dir = directoryOf(deps, a.target);
        if (!dir.hasAction('unlock')) return `change nothing: ${a.target} has no "unlock" action configured`;
        const { total, users } = await dir.planUnlockAll();
        if (total === 0) return `change nothing: no locked accounts on ${a.target}`;
        return `unlock ${total} account${total === 1 ? '' : 's'} on ${a.target} (${dir.where}): ${plannedLines(users, total)}`;
      },
      async run(_ctx, a): Promise<Reply> {
        const dir = directoryOf(deps, a.target);
        const { count, users } = await dir.unlockAll();
        if (count === 0) {
          return { title: `No locked accounts on ${a.target}`, status: 'ok', blocks: [{ type: 'text', text: 'Nothing was changed.' }], visibility: 'channel' };
        }
        const detailed = users.slice(0, MAX_DETAILED);
        const rows = detailed.flatMap((u) => u.changes.map((c) => [u.user, c.field, showValue(c.before), showValue(c.after)]));
        return {
          title: `Unlocked ${count} account${count === 1 ? '' : 's'} on ${a.target}`,
          status: 'ok',
          blocks: [
            fields({ Accounts: count, Directory: dir.where, Listed: detailed.length < count ? `${detailed.length} of ${count}` : undefined }),
            table(['User', 'Field', 'Before', 'After'], rows),
          ],
          visibility: 'channel',
        };
      },
    }),
  ];
}

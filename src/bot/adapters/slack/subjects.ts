/**
 * Slack users as RBAC subjects: `slack:U…`, belonging to `slack:usergroup:S…` for each user group
 * they are in. Groups come from `usergroups.list` (include_users), cached for a while and loaded
 * once at a time; when the lookup fails (missing `usergroups:read`, Slack down) users keep their
 * own subject and the failure is logged.
 */
import type { Logger } from 'pino';
import type { Subject } from '../../../core/command.js';
import { errorMessage, UserError } from '../../../core/errors.js';
import type { SlackWeb } from './web.js';

/** Slack user ids are letters and digits (`U0123ABC`, `W…` on Enterprise Grid). */
const SLACK_USER_ID = /^[A-Z0-9]{2,64}$/i;

/**
 * `slack:U…` for a Slack user id. Anything else is refused: a `user_id` shaped like
 * `usergroup:S…` must never become that group's subject (and with it the group's roles).
 */
export const slackSubjectId = (userId: string): string => {
  if (!SLACK_USER_ID.test(userId)) throw new UserError('invalid', `"${userId.slice(0, 40)}" is not a Slack user id`);
  return `slack:${userId}`;
};
export const slackGroupId = (groupId: string): string => `slack:usergroup:${groupId}`;

export class SlackSubjects {
  private membership: Map<string, string[]> | undefined;
  private loadedAt = 0;
  private loading: Promise<Map<string, string[]>> | undefined;

  constructor(private readonly opts: {
    web: SlackWeb;
    ttlMs: number;
    log: Logger;
    /** Longest a command waits for the group lookup (a rate-limited Slack must not hold every command). */
    lookupTimeoutMs?: number;
    now?: () => number;
  }) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async subjectOf(userId: string, userName?: string): Promise<Subject> {
    const id = slackSubjectId(userId);
    const groups = await this.groupsOf(userId);
    return { id, ...(groups.length ? { groups } : {}), display: userName ? `@${userName}` : `<@${userId}>` };
  }

  async groupsOf(userId: string): Promise<string[]> {
    const fresh = this.membership && this.now() - this.loadedAt < this.opts.ttlMs;
    if (fresh) return (this.membership as Map<string, string[]>).get(userId) ?? [];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), this.opts.lookupTimeoutMs ?? 2_000); });
    const map = await Promise.race([this.load(), late]).finally(() => clearTimeout(timer));
    if (!map) {
      // Still loading: go on with what we knew (or no groups: fewer rights, never more).
      this.opts.log.warn({ user: userId }, 'slack user groups are slow to load; using the last known membership');
      return this.membership?.get(userId) ?? [];
    }
    return map.get(userId) ?? [];
  }

  /** Forget the cache (a user group changed). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private load(): Promise<Map<string, string[]>> {
    this.loading ??= (async () => {
      const map = new Map<string, string[]>();
      try {
        const res = await this.opts.web.call('usergroups.list', (c) => c.usergroups.list({ include_users: true, include_disabled: false }));
        for (const g of res.usergroups ?? []) {
          if (!g.id) continue;
          for (const u of g.users ?? []) map.set(u, [...(map.get(u) ?? []), slackGroupId(g.id)]);
        }
      } catch (e) {
        this.opts.log.warn({ err: errorMessage(e) }, 'slack user groups could not be read; users keep only their own subject');
        // Keep what we knew before, if anything; try again after the TTL.
        if (this.membership) return this.membership;
      }
      this.membership = map;
      this.loadedAt = this.now();
      return map;
    })().finally(() => { this.loading = undefined; });
    return this.loading;
  }
}

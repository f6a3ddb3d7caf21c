/**
 * What a config reload may change in a running bot, per key (README "Reloading the
 * configuration"): the everyday edits reload (targets and hosts too: their services are built
 * again, reload/target-services.ts); keys whose pieces are built once at start (the HTTP
 * listener, the surfaces, timers of settings) need a restart, and a reload that changes one of
 * them is refused as a whole.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../../config/schema.js';

/** Top-level keys that reload in place. */
export const LIVE_KEYS = ['rbac', 'people', 'jobs', 'schedules', 'escalationPolicies', 'runbooks', 'approvals', 'targets', 'hosts', 'retention'] as const satisfies readonly (keyof Config)[];

/**
 * Of `alerting`, these reload (new groups are routed, posted and stormed by them). Its other keys
 * need a restart: the webhook route's `webhookToken`, `allowUnauthenticated` and `bodyLimit`
 * (the HTTP route is built once), the Alertmanager client's `alertmanagerUrl` and
 * `alertmanagerTimeout` (whether the silence commands have a client is decided at start).
 */
export const LIVE_ALERTING_KEYS = ['routes', 'defaultChannel', 'rate', 'storm', 'silenceButton', 'targetLabels'] as const satisfies readonly (keyof Config['alerting'])[];

/** Top-level keys that need a restart, besides `alerting`'s other keys. */
export const RESTART_KEYS = ['bot', 'slack', 'oncall'] as const satisfies readonly (keyof Config)[];

export interface ConfigChanges {
  /** Keys that changed and reload: `rbac`, `alerting.routes`. */
  live: string[];
  /** Keys that changed and need a restart: `bot.commandTimeout`, `alerting.bodyLimit`. */
  restart: string[];
}

const differs = (a: unknown, b: unknown): boolean => !isDeepStrictEqual(a, b);
const isRecord = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** `key`, or the keys under it that differ (`bot.commandTimeout`, `targets.web`), for the refusal to name. */
function changedUnder(key: string, a: unknown, b: unknown): string[] {
  if (!isRecord(a) || !isRecord(b)) return [key];
  const subs = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => differs(a[k], b[k]));
  return subs.length ? subs.map((k) => `${key}.${k}`) : [key];
}

/** The keys whose value differs between the running config and the new one, by how they apply. */
export function configChanges(current: Config, next: Config): ConfigChanges {
  const live: string[] = LIVE_KEYS.filter((k) => differs(current[k], next[k]));
  const restart: string[] = RESTART_KEYS.filter((k) => differs(current[k], next[k])).flatMap((k) => changedUnder(k, current[k], next[k]));
  const alertingKeys = new Set([...Object.keys(current.alerting), ...Object.keys(next.alerting)]) as Set<keyof Config['alerting']>;
  for (const k of alertingKeys) {
    if (!differs(current.alerting[k], next.alerting[k])) continue;
    ((LIVE_ALERTING_KEYS as readonly string[]).includes(k) ? live : restart).push(`alerting.${k}`);
  }
  // A key this table does not know (a section added later) is never applied half: restart.
  const known = new Set<string>([...LIVE_KEYS, ...RESTART_KEYS, 'alerting']);
  for (const k of new Set([...Object.keys(current), ...Object.keys(next)])) {
    const [a, b] = [(current as Record<string, unknown>)[k], (next as Record<string, unknown>)[k]];
    if (!known.has(k) && differs(a, b)) restart.push(...changedUnder(k, a, b));
  }
  return { live, restart };
}

/** The problem a refused reload reports for keys that need a restart. */
export function restartProblem(keys: readonly string[]): string {
  return `${keys.join(', ')}: cannot change while the bot runs; restart to apply (nothing of this file was applied)`;
}

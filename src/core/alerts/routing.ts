/**
 * Routing a group to channels: routes are tried in order; the first that matches wins unless it
 * says `continue: true` (Alertmanager's semantics). No match: the default channel.
 * A channel reached by several routes keeps the options of the first route that reached it.
 */
import type { AlertRouteConfig } from '../../config/alerting.js';
import { matchesAll, parseMatcher, type Matcher } from './matchers.js';
import { mentionsFor, type Mention } from '../mentions.js';
import type { People } from '../people.js';

export interface RouteTarget {
  /** `<surface>:<channel>`. */
  channel: string;
  route: string;
  /** The route's configured mentions, resolved for this channel's surface (persons → their identity there). */
  mentions?: Mention[];
  style?: 'danger' | 'warning' | 'info';
  runbook?: string;
  escalation?: string;
}

interface CompiledRoute {
  name: string;
  matchers: Matcher[];
  config: AlertRouteConfig;
}

export class AlertRouter {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly AlertRouteConfig[], private readonly defaultChannel: string, private readonly people?: Pick<People, 'get'>) {
    this.routes = routes.map((r, i) => ({ name: r.name ?? `routes[${i}]`, matchers: r.matchers.map(parseMatcher), config: r }));
  }

  route(labels: Record<string, string>): RouteTarget[] {
    const out = new Map<string, RouteTarget>();
    for (const r of this.routes) {
      if (!matchesAll(r.matchers, labels)) continue;
      for (const channel of r.config.channels) {
        if (out.has(channel)) continue;
        const c = r.config;
        const mentions = mentionsFor(c.mention, channel, this.people);
        out.set(channel, {
          channel,
          route: r.name,
          ...(mentions.length ? { mentions } : {}),
          ...(c.style ? { style: c.style } : {}),
          ...(c.runbook ? { runbook: c.runbook } : {}),
          ...(c.escalation ? { escalation: c.escalation } : {}),
        });
      }
      if (!r.config.continue) break;
    }
    if (out.size === 0) return [{ channel: this.defaultChannel, route: 'default' }];
    return [...out.values()];
  }
}

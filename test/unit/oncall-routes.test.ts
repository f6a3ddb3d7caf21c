/** The route that sends "nobody on call" to the fallback channel, ahead of the configured routes. */
import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';
import { withOncallRoutes } from '../../src/wiring/oncall.js';
import { AlertRouter } from '../../src/core/alerts/routing.js';
import { NOBODY_ALERTNAME } from '../../src/core/escalation/nobody.js';

const yaml = (policies: boolean) => `
people:
  alice: { slack: U0ALICE }
schedules:
  primary:
    timezone: Europe/Berlin
    layers: [ { people: [alice], shift: 1w, start: 2026-01-05 } ]
${policies ? `escalationPolicies:
  critical: { steps: [ { notify: [ { schedule: primary } ] } ] }` : ''}
oncall: { fallbackChannel: slack:C0FALLBACK }
alerting:
  routes:
    - { channels: [slack:C0ALL], ${policies ? 'escalation: critical' : ''} }
    - { name: db, matchers: ['team="db"'], channels: [slack:C0DB] }
`;

describe('withOncallRoutes', () => {
  it('given escalation policies, then OpsbotNobodyOnCall goes to the fallback channel ahead of a catch-all route, with no escalation', () => {
    const cfg = withOncallRoutes(parseConfigText(yaml(true), 'test.yaml', {}));
    const router = new AlertRouter(cfg.alerting.routes, cfg.alerting.defaultChannel);
    expect(router.route({ alertname: NOBODY_ALERTNAME, schedule: 'primary', severity: 'critical' })).toEqual([{ channel: 'slack:C0FALLBACK', route: 'oncall.fallbackChannel' }]);
    // Other alerts route as configured, and unnamed routes keep the name of their place in the config
    expect(router.route({ alertname: 'ApiDown' })).toEqual([{ channel: 'slack:C0ALL', route: 'routes[0]', escalation: 'critical' }]);
    expect(cfg.alerting.routes.map((r) => r.name)).toEqual(['oncall.fallbackChannel', 'routes[0]', 'db']);
  });

  it('given no escalation policy, then the routes are left as they are', () => {
    const cfg = parseConfigText(yaml(false), 'test.yaml', {});
    expect(withOncallRoutes(cfg)).toBe(cfg);
  });
});

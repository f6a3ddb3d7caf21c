/** Alertmanager matcher semantics and routing with `continue`. */
import { describe, expect, it } from '@jest/globals';
import { matches, parseMatcher } from '../../src/core/alerts/matchers.js';
import { AlertRouter } from '../../src/core/alerts/routing.js';
import { alertingSchema } from '../../src/config/alerting.js';

const m = (text: string, labels: Record<string, string>) => matches(parseMatcher(text), labels);

describe('matchers', () => {
  it('= and != compare the whole value; a missing label is the empty string', () => {
    expect(m('severity="critical"', { severity: 'critical' })).toBe(true);
    expect(m('severity="critical"', { severity: 'critical2' })).toBe(false);
    expect(m('severity=critical', { severity: 'critical' })).toBe(true);
    expect(m('severity!="critical"', { severity: 'warning' })).toBe(true);
    expect(m('severity!="critical"', {})).toBe(true);
    expect(m('team=""', {})).toBe(true);
    expect(m('team!=""', {})).toBe(false);
    expect(m('team!=""', { team: 'db' })).toBe(true);
  });

  it('=~ and !~ are anchored regular expressions', () => {
    expect(m('team=~"db|infra"', { team: 'db' })).toBe(true);
    expect(m('team=~"db|infra"', { team: 'dbx' })).toBe(false);
    expect(m('team=~"db.*"', { team: 'dbx' })).toBe(true);
    expect(m('job!~"test.*"', { job: 'test-api' })).toBe(false);
    expect(m('job!~"test.*"', { job: 'api-test' })).toBe(true);
    expect(m('job!~"test.*"', {})).toBe(true);
    expect(m('env=~".*"', {})).toBe(true);
    expect(m('env=~".+"', {})).toBe(false);
  });

  it('quoted values may contain spaces, operators and escaped quotes', () => {
    expect(m('summary="a = b"', { summary: 'a = b' })).toBe(true);
    expect(m('summary="say \\"hi\\""', { summary: 'say "hi"' })).toBe(true);
  });

  it('rejects what is not a matcher, naming it', () => {
    expect(() => parseMatcher('severity')).toThrow(/Invalid matcher "severity"/);
    expect(() => parseMatcher('1abc="x"')).toThrow(/Invalid matcher/);
    expect(() => parseMatcher('team=~"(db"')).toThrow(/Invalid regex/);
    expect(() => parseMatcher('team="db')).toThrow(/unbalanced quotes/);
  });

  it('the config refuses a bad matcher with its key path', () => {
    const r = alertingSchema.safeParse({ routes: [{ matchers: ['ok="1"', 'team=~"(x"'], channels: ['slack:C1'] }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['routes', 0, 'matchers', 1]);
  });

  it('the config refuses a channel without its surface', () => {
    const r = alertingSchema.safeParse({ routes: [{ channels: ['C0123'] }] });
    expect(r.error?.issues[0]?.message).toMatch(/<surface>:<channel>/);
  });
});

describe('routing with continue', () => {
  const cfg = alertingSchema.parse({
    defaultChannel: 'console:alerts',
    routes: [
      { name: 'critical-page', matchers: ['severity="critical"'], channels: ['slack:CPAGE'], mention: '@here', continue: true },
      { name: 'db', matchers: ['team=~"db|dba"'], channels: ['slack:CDB', 'discord:42'], runbook: 'https://runbooks/db' },
      { name: 'db-again', matchers: ['team="db"'], channels: ['slack:CNEVER'] },
      { name: 'staging', matchers: ['env="staging"', 'severity!="critical"'], channels: ['slack:CSTAGE'], style: 'info' },
    ],
  });
  const router = new AlertRouter(cfg.routes, cfg.defaultChannel);
  const channels = (labels: Record<string, string>) => router.route(labels).map((t) => t.channel);

  it('given a critical db alert, then the continue route and the first matching route after it both apply; later routes do not', () => {
    const targets = router.route({ severity: 'critical', team: 'db' });
    expect(targets.map((t) => t.channel)).toEqual(['slack:CPAGE', 'slack:CDB', 'discord:42']);
    expect(targets[0]).toMatchObject({ route: 'critical-page', mentions: [{ kind: 'here' }] });
    expect(targets[1]).toMatchObject({ route: 'db', runbook: 'https://runbooks/db' });
  });

  it('given a route without continue matches, then the search stops there', () => {
    expect(channels({ team: 'db' })).toEqual(['slack:CDB', 'discord:42']);
  });

  it('given several matchers on a route, then all must hold', () => {
    expect(channels({ env: 'staging', severity: 'warning' })).toEqual(['slack:CSTAGE']);
    expect(channels({ env: 'staging', severity: 'critical' })).toEqual(['slack:CPAGE']);
  });

  it('given only a continue route matches, then that is a match: the default channel is not added (as in Alertmanager)', () => {
    expect(channels({ severity: 'critical', team: 'web' })).toEqual(['slack:CPAGE']);
  });

  it('given no route matches, then the default channel', () => {
    expect(router.route({ team: 'web', severity: 'warning' })).toEqual([{ channel: 'console:alerts', route: 'default' }]);
  });
});

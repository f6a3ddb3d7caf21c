/**
 * deploy/: the Prometheus rules pass `promtool check rules` and their own `promtool test rules`,
 * and every metric the rules and the Grafana dashboard query is one a started bot exports on
 * GET /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { startBotProcess, type RunningBot } from '../support/process.js';

const RULES = 'deploy/prometheus/opsbot-rules.yml';
const DASHBOARD = 'deploy/grafana/opsbot.json';

function promtool(args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** opsbot_* names a PromQL expression reads (histogram series map to their histogram). */
function opsbotMetrics(expr: string): string[] {
  return [...expr.matchAll(/\bopsbot_[a-z0-9_]+/g)].map((m) => m[0]);
}

const ruleExprs = (): string[] => (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.expr));
const dashboardExprs = (): string[] => (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] }).panels.flatMap((p) => p.targets.map((t) => t.expr));

describeWithServers(['promtool'], 'deploy/prometheus/opsbot-rules.yml (Debian prometheus promtool)', () => {
  it('passes promtool check rules', async () => {
    const r = await promtool(['check', 'rules', RULES]);
    expect(r.out).toContain('SUCCESS: 7 rules found');
    expect(r.code).toBe(0);
  }, 60_000);

  it('passes its promtool unit tests (down, intake stalled, rejected webhooks, dead letters, chat errors, watchdog)', async () => {
    const r = await promtool(['test', 'rules', 'opsbot-rules.test.yml'], path.dirname(RULES));
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  }, 60_000);

  it('has the alerts opsbot users expect', () => {
    const names = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(expect.arrayContaining(['OpsbotDown', 'OpsbotWebhookIntakeStalled', 'OpsbotOutboxDeadLetters', 'OpsbotChatApiErrors', 'OpsbotWatchdog']));
  });
});

describe('metric names in deploy/ against a started bot\'s GET /metrics', () => {
  let bot: RunningBot;
  let exported: Set<string>;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir());
    const port = await freePort();
    bot = startBotProcess(['start'], { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: dir, OPSBOT_CONFIG: 'config/default.yaml', LOG_LEVEL: 'warn' });
    const text = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, { what: '/metrics', timeoutMs: 30_000 });
    exported = new Set();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [name, type] = [m[1] as string, m[2] as string];
      exported.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(`${name}${s}`);
      if (type === 'summary') for (const s of ['_sum', '_count']) exported.add(`${name}${s}`);
    }
  }, 40_000);
  afterAll(async () => { await bot?.stop('SIGKILL'); await cleanup?.(); });

  it('the dashboard queries only metrics the bot exports, and covers the alerting pipeline', () => {
    const used = [...new Set(dashboardExprs().flatMap(opsbotMetrics))];
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
    expect(used).toEqual(expect.arrayContaining(['opsbot_invocations_total', 'opsbot_alertmanager_webhooks_total', 'opsbot_outbox_depth', 'opsbot_outbox_dead', 'opsbot_chat_api_errors_total']));
  });

  it('the alert rules read only metrics the bot exports', () => {
    const used = [...new Set(ruleExprs().flatMap(opsbotMetrics))];
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
  });
});

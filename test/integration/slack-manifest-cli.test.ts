/**
 * `opsbot slack-manifest` as a newcomer runs it: what it prints is pasted into Slack's "Create New
 * App → From a manifest", so a base URL with a path keeps its path, and a command Slack would
 * refuse is refused here, with exit 2, before anyone pastes it.
 */
import { describe, expect, it } from '@jest/globals';
import { bareEnv, runCliBare } from '../support/process.js';

type Manifest = { features: { slash_commands: { command: string; url: string }[] }; settings: { event_subscriptions: { request_url: string }; interactivity: { request_url: string } } };

describe('opsbot slack-manifest', () => {
  it('given a base URL behind a path prefix, then every request URL is <base>/slack/events', async () => {
    const r = await runCliBare(['slack-manifest', '--url', 'https://example.com/opsbot/'], bareEnv());
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as Manifest;
    expect(m.features.slash_commands[0]?.url).toBe('https://example.com/opsbot/slack/events');
    expect(m.settings.event_subscriptions.request_url).toBe('https://example.com/opsbot/slack/events');
    expect(m.settings.interactivity.request_url).toBe('https://example.com/opsbot/slack/events');
  }, 60_000);

  it('given --command without its "/", then it is refused with exit 2 and nothing is printed', async () => {
    const r = await runCliBare(['slack-manifest', '--url', 'https://example.com', '--command', 'opsbot'], bareEnv());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--command "opsbot": a slash command is "/"');
  }, 60_000);

  it('given --command /opsbot-staging, then the manifest has that command', async () => {
    const r = await runCliBare(['slack-manifest', '--socket', '--command', '/opsbot-staging'], bareEnv());
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Manifest).features.slash_commands[0]?.command).toBe('/opsbot-staging');
  }, 60_000);
});

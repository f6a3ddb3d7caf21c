/**
 * The Slack app manifest for `opsbot slack-manifest`: paste it at api.slack.com/apps → "Create New
 * App" → "From a manifest" and the app has the `/ops` command, the scopes the bot uses and the
 * request URLs (HTTP mode) or Socket Mode.
 */
import { SLACK_EVENTS_PATH } from './receiver.js';

/** The bot token scopes, each for something the bot does. */
export const SLACK_BOT_SCOPES: Record<string, string> = {
  commands: 'the /ops slash command',
  'chat:write': 'post results, alerts and escalations; update messages after a button press',
  'chat:write.public': 'post in public channels the bot was not invited to',
  'im:write': 'open direct messages (escalations to the person on call)',
  'usergroups:read': 'map user groups to RBAC subjects (slack:usergroup:S…)',
  'app_mentions:read': 'commands addressed to the bot in a channel: @opsbot health all',
};

export interface ManifestOptions {
  /** Public base URL of the bot (HTTP mode), e.g. https://opsbot.example.com. */
  url?: string;
  socketMode?: boolean;
  name?: string;
  command?: string;
}

export function slackManifest(opts: ManifestOptions): Record<string, unknown> {
  const socket = Boolean(opts.socketMode);
  if (!socket && !opts.url) throw new Error('give --url <public base URL> for HTTP mode, or --socket for Socket Mode');
  let requestUrl: string | undefined;
  if (!socket) {
    const base = new URL(opts.url as string);
    if (base.protocol !== 'https:') throw new Error(`Slack only calls https:// URLs (got ${base.protocol}//)`);
    // A base behind a path prefix (https://example.com/opsbot) keeps it: <base>/slack/events.
    requestUrl = new URL(`${base.pathname.replace(/\/+$/, '')}${SLACK_EVENTS_PATH}`, base).toString();
  }
  const name = (opts.name ?? 'opsbot').slice(0, 35);
  const command = opts.command ?? '/ops';
  // The rule of the config's `slack.command`: Slack refuses a manifest whose command lacks the "/".
  if (!/^\/[a-z0-9_-]{1,31}$/.test(command)) throw new Error(`--command ${JSON.stringify(command)}: a slash command is "/" and up to 31 of a-z, 0-9, "_", "-" (e.g. /ops)`);
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: 'Chat-ops: health checks, backups, alerts, on-call and approvals from Slack.',
      background_color: '#1d2b3a',
    },
    features: {
      bot_user: { display_name: name, always_online: true },
      slash_commands: [{
        command,
        ...(requestUrl ? { url: requestUrl } : {}),
        description: 'Run an opsbot command (try: help)',
        usage_hint: 'help | health all | status <target> | …',
        should_escape: false,
      }],
    },
    oauth_config: { scopes: { bot: Object.keys(SLACK_BOT_SCOPES) } },
    settings: {
      event_subscriptions: { ...(requestUrl ? { request_url: requestUrl } : {}), bot_events: ['app_mention'] },
      interactivity: { is_enabled: true, ...(requestUrl ? { request_url: requestUrl } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: socket,
      token_rotation_enabled: false,
    },
  };
}

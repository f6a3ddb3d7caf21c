/**
 * Socket Mode (when SLACK_APP_TOKEN is set): a Bolt Receiver over @slack/socket-mode's client,
 * which opens the WebSocket URL from `apps.connections.open` on the same Web API base as the
 * rest of the bot (SLACK_API_URL), so a proxy or a test stand-in sees those calls too.
 */
import type { Logger } from 'pino';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { boltLogger } from './web.js';

export interface SocketReceiverOptions {
  appToken: string;
  apiUrl?: string | undefined;
  log: Logger;
}

export class SocketSlackReceiver implements Receiver {
  private app: App | undefined;
  private connected = false;
  readonly client: SocketModeClient;

  constructor(private readonly opts: SocketReceiverOptions) {
    const base = opts.apiUrl ? (opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`) : undefined;
    this.client = new SocketModeClient({
      appToken: opts.appToken,
      logger: boltLogger(opts.log.child({ component: 'slack-socket' })),
      clientOptions: base ? { slackApiUrl: base } : {},
    });
    this.client.on('connected', () => { this.connected = true; });
    this.client.on('disconnected', () => { this.connected = false; });
    this.client.on('reconnecting', () => { this.connected = false; });
    this.client.on('slack_event', async (args: { ack: (response?: unknown) => Promise<void>; body: Record<string, unknown>; retry_num?: number; retry_reason?: string }) => {
      let acked = false;
      const event: ReceiverEvent = {
        body: args.body,
        ...(args.retry_num !== undefined ? { retryNum: args.retry_num } : {}),
        ...(args.retry_reason ? { retryReason: args.retry_reason } : {}),
        ack: async (response?: unknown) => {
          if (acked) return;
          acked = true;
          await args.ack(response ?? undefined);
        },
      };
      try {
        await this.app?.processEvent(event);
      } catch (e) {
        opts.log.error({ err: e }, 'slack event processing failed');
        if (!acked) await event.ack();
      }
    });
  }

  init(app: App): void {
    this.app = app;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  async stop(): Promise<void> {
    await this.client.disconnect();
  }
}

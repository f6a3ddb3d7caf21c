/** The environment variables of the public contract (README "Environment variables"), validated once at start-up. */
import { z } from 'zod';

const optional = z.string().trim().min(1).optional().catch(undefined);

export const envSchema = z.object({
  OPSBOT_CONFIG: z.string().default('config/default.yaml'),
  OPSBOT_DATA_DIR: z.string().default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Loopback by default: set 0.0.0.0 (the container image does) to listen on every interface. */
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional,
  SLACK_API_URL: z.url().optional(),
  DISCORD_TOKEN: optional,
  DISCORD_APPLICATION_ID: optional,
  DISCORD_GUILD_ID: optional,
  DISCORD_API_URL: z.url().optional(),
  MONGODB_URL: optional,
  REDIS_URL: optional,
  DOCKER_HOST: optional,
  ALERTMANAGER_URL: z.url().optional(),
  WEBHOOK_TOKEN: optional,
});

export type Env = z.infer<typeof envSchema>;

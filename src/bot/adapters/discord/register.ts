/**
 * `opsbot discord-register`: creates or updates the `/ops` application command through the REST
 * API — in one guild (immediate, for trying it out) or globally (all guilds the bot is in).
 * POST upserts by name, so other commands of the application are left alone.
 */
import { REST, Routes, type APIApplicationCommand } from 'discord.js';
import type { Logger } from 'pino';
import type { OpsCommandPlan } from './commands.js';
import { deliverDiscord, restOptions } from './rest.js';

export interface RegisterOptions {
  token: string;
  applicationId: string;
  guildId?: string | undefined;
  apiUrl?: string | undefined;
  plan: OpsCommandPlan;
  log: Logger;
}

export async function registerOpsCommand(o: RegisterOptions): Promise<{ scope: string; command: APIApplicationCommand }> {
  const rest = new REST(restOptions(o.apiUrl)).setToken(o.token);
  const route = o.guildId ? Routes.applicationGuildCommands(o.applicationId, o.guildId) : Routes.applicationCommands(o.applicationId);
  const command = await deliverDiscord('register commands', () => rest.post(route, { body: o.plan.json }), { log: o.log }) as APIApplicationCommand;
  return { scope: o.guildId ? `guild ${o.guildId}` : 'global (may take up to an hour to appear)', command };
}

/** A readable summary: `/ops backup run [target] [dry-run]`. */
export function describePlan(plan: OpsCommandPlan): string[] {
  return [...plan.routes.entries()].map(([path, r]) => {
    const opts = [...r.options.keys()].map((n) => `[${n}]`).join(' ');
    return `/${plan.json.name} ${path}${r.freeText ? ' <command>' : opts ? ` ${opts}` : ''}${r.command ? `  → ${r.command}` : '  → any command line'}`;
  });
}

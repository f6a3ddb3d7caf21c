/** Runs a handler with its timeout, aborted when it times out or the bot shuts down. */
import type { AnyCommand, CommandContext } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import { withTimeout } from '../../core/errors.js';

export async function runHandler(command: AnyCommand, args: Record<string, unknown>, ctx: Omit<CommandContext, 'signal'>, timeoutMs: number, shutdown: AbortSignal): Promise<Reply> {
  const ac = new AbortController();
  const onShutdown = () => ac.abort();
  shutdown.addEventListener('abort', onShutdown, { once: true });
  try {
    return await withTimeout(command.run({ ...ctx, signal: ac.signal }, args as never), timeoutMs, `\`${command.name}\``);
  } catch (e) {
    ac.abort();
    throw e;
  } finally {
    shutdown.removeEventListener('abort', onShutdown);
  }
}

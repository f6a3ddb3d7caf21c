/**
 * Runs a handler with its timeout, aborted when it times out, the bot shuts down, or the caller
 * aborts it (`RunOptions.signal`, e.g. a job's timeout): then the handler's `ctx.signal` fires
 * and the invocation ends `timeout` at once, as on its own timeout.
 */
import type { AnyCommand, CommandContext } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import { UserError, withTimeout } from '../../core/errors.js';

export async function runHandler(command: AnyCommand, args: Record<string, unknown>, ctx: Omit<CommandContext, 'signal'>, timeoutMs: number, shutdown: AbortSignal, caller?: AbortSignal): Promise<Reply> {
  const ac = new AbortController();
  const onShutdown = () => ac.abort();
  shutdown.addEventListener('abort', onShutdown, { once: true });
  let onCaller: (() => void) | undefined;
  const stopped = caller && new Promise<never>((_, reject) => {
    onCaller = () => {
      ac.abort();
      reject(new UserError('timeout', `\`${command.name}\` was stopped by what started it (its time was up)`));
    };
    if (caller.aborted) onCaller();
    else caller.addEventListener('abort', onCaller, { once: true });
  });
  try {
    if (caller?.aborted) return await (stopped as Promise<never>);
    const run = withTimeout(command.run({ ...ctx, signal: ac.signal }, args as never), timeoutMs, `\`${command.name}\``);
    return await (stopped ? Promise.race([run, stopped]) : run);
  } catch (e) {
    ac.abort();
    throw e;
  } finally {
    shutdown.removeEventListener('abort', onShutdown);
    if (onCaller) caller?.removeEventListener('abort', onCaller);
  }
}

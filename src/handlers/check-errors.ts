/** Health checks whose probe threw (a bug): logged in full with the invocation id; chat sees only the reference. */
import type { CommandContext } from '../core/command.js';
import type { CheckResult } from '../ops/probes/index.js';

export function withoutProbeInternals(ctx: Pick<CommandContext, 'log' | 'invocationId'>, results: CheckResult[]): CheckResult[] {
  return results.map((r) => {
    if (r.internalError === undefined) return r;
    const { internalError, ...rest } = r;
    ctx.log.error({ err: internalError, target: r.target, check: r.name, kind: r.kind }, `health check "${r.name}" of ${r.target} threw`);
    return { ...rest, detail: `internal error (ref ${ctx.invocationId}, see the bot's logs)` };
  });
}

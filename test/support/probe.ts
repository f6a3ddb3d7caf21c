/** Runs one health check the way `health` does: config validated by the schema, then runCheck. */
import { healthCheckSchema } from '../../src/config/schema.js';
import { runCheck, type CheckResult } from '../../src/ops/probes/index.js';

export function runConfiguredCheck(check: Record<string, unknown>, timeoutMs = 5000): Promise<CheckResult> {
  return runCheck('test', healthCheckSchema.parse(check), timeoutMs);
}

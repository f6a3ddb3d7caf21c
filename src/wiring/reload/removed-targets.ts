/**
 * A reload that removes a target must not leave a reference to it behind: a job or runbook step
 * whose command acts on it, a role or approval rule limited to it by name. Each one found is a
 * problem with its key path, and the reload is refused (the running config stays).
 */
import type { Config } from '../../config/schema.js';
import type { CommandRegistry } from '../../bot/registry.js';
import { parseLine } from '../../bot/router/parse-step.js';

/** The target a command line acts on, as the registry parses it (undefined: none, or it does not parse). */
function targetOfLine(registry: CommandRegistry, line: string): string | undefined {
  const step = parseLine(registry, line);
  return step.kind === 'parsed' ? step.command.targetOf?.(step.args as never) : undefined;
}

export function removedTargetProblems(current: Config, next: Config, registry: CommandRegistry): string[] {
  const removed = new Set(Object.keys(current.targets).filter((t) => !(t in next.targets)));
  if (!removed.size) return [];
  const why = (t: string) => `names target "${t}", which this reload removes`;
  const problems: string[] = [];
  for (const [name, job] of Object.entries(next.jobs)) {
    const t = targetOfLine(registry, job.run);
    if (t && removed.has(t)) problems.push(`jobs.${name}.run: "${job.run}" ${why(t)}`);
  }
  for (const [name, rb] of Object.entries(next.runbooks)) {
    rb.steps.forEach((s, i) => {
      const t = targetOfLine(registry, s.line);
      if (t && removed.has(t)) problems.push(`runbooks.${name}.steps[${i}].${s.kind}: "${s.line}" ${why(t)}`);
    });
  }
  for (const [name, role] of Object.entries(next.rbac.roles)) {
    role.targets.forEach((t, i) => {
      if (removed.has(t)) problems.push(`rbac.roles.${name}.targets[${i}]: ${why(t)}`);
    });
  }
  next.approvals.rules.forEach((rule, n) => {
    rule.targets?.forEach((t, i) => {
      if (removed.has(t)) problems.push(`approvals.rules[${n}].targets[${i}]: ${why(t)}`);
    });
  });
  return problems;
}

/**
 * The scheduler's wiring: job definitions from `jobs:`, the scheduler over the store, the
 * router's runner, the outbox and the alert service, the `jobs` commands, and the start-up check
 * that every job's `run` line parses as a registered command its subject may run.
 */
import type { MaintenanceWindows } from '../core/maintenance/port.js';
import type { Config } from '../config/schema.js';
import { jobSubjectId } from '../config/jobs-schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store/index.js';
import type { AuditLog } from '../core/audit.js';
import type { Rbac } from '../core/rbac.js';
import type { CommandRunner } from '../core/invocation.js';
import { Scheduler } from '../core/scheduler/scheduler.js';
import type { JobDefinition } from '../core/scheduler/types.js';
import type { JobsDeps } from '../handlers/jobs.js';
import type { CommandRegistry } from '../bot/registry.js';
import { parseLine } from '../bot/router/parse-step.js';
import type { Alerting } from './alerting.js';
import type { RunningConfig } from './reload/running-config.js';

export function jobDefinitions(config: Config): JobDefinition[] {
  return Object.entries(config.jobs).map(([name, j]) => ({
    name, cron: j.cron, timezone: j.timezone, run: j.run, channel: j.channel, notify: j.notify, catchUp: j.catchUp,
    timeoutMs: j.timeout, alert: j.alert, paused: j.paused, description: j.description,
  }));
}

export interface SchedulerWiring {
  scheduler: Scheduler;
  /** What the `jobs` commands need. */
  commands: JobsDeps;
  /** Config problems (with their key path): a job's `run` that is not a registered command, or that its subject may not run. */
  problems(): string[];
}

/** `router` and `registry` are read when a job runs or is checked, after createBot has made them. */
export function wireScheduler(config: Config, deps: {
  store: Store; clock: Clock; log: Logger; audit: AuditLog; alerting: Alerting; rbac: Rbac;
  runner: () => CommandRunner; registry: () => CommandRegistry; running: RunningConfig; maintenance?: MaintenanceWindows;
}): SchedulerWiring {
  const targetOf = (line: string): string | undefined => {
    const step = parseLine(deps.registry(), line);
    return step.kind === 'parsed' ? step.command.targetOf?.(step.args as never) : undefined;
  };
  const scheduler = new Scheduler(jobDefinitions(config), {
    store: deps.store, clock: deps.clock, log: deps.log.child({ component: 'scheduler' }),
    runner: { run: (line, o) => deps.runner().run(line, o) },
    outbox: deps.alerting.outbox, alerts: deps.alerting.alerts, audit: deps.audit, targetOf,
    ...(deps.maintenance ? { maintenance: deps.maintenance } : {}),
  });
  const targetOfJob = (name: string) => {
    const def = scheduler.definition(name);
    return def ? targetOf(def.run) : undefined;
  };
  return {
    scheduler,
    commands: { scheduler, targetOfJob },
    problems() {
      const out: string[] = [];
      for (const [name, job] of Object.entries(config.jobs)) {
        const step = parseLine(deps.registry(), job.run);
        if (step.kind === 'settled') {
          out.push(`jobs.${name}.run: "${job.run}" is not a command the bot runs: ${step.settled.error?.message ?? step.settled.reply.title}`);
          continue;
        }
        const { command, args } = step;
        if (command.touches && !command.targetOf?.(args as never)) continue; // scope known only at run time
        const target = command.targetOf?.(args as never);
        const decision = deps.rbac.decide({ id: jobSubjectId(name) }, command.permission ?? command.name, target ? { target } : [], (t) => deps.running.environmentOf(t));
        if (!decision.allowed) out.push(`jobs.${name}.run: ${jobSubjectId(name)} may not run "${job.run}": ${decision.reason}`);
      }
      return out;
    },
  };
}

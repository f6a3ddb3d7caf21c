/**
 * The config the bot runs on now: the one it started with, replaced by each applied reload.
 * Everything that looks a target up when it is used (the router's and the approval gate's
 * environment of a target, the target lists of alert labels, runbooks, maintenance and
 * completions) reads it through here, never through the start-time config.
 */
import type { Config } from '../../config/schema.js';

export class RunningConfig {
  constructor(private value: Config) {}

  get config(): Config {
    return this.value;
  }

  get targets(): Config['targets'] {
    return this.value.targets;
  }

  /** The configured target names. */
  targetNames(): string[] {
    return Object.keys(this.value.targets);
  }

  /** `alerting.targetLabels`: the labels whose value names the target an alert is about. */
  targetLabels(): readonly string[] {
    return this.value.alerting.targetLabels;
  }

  environmentOf(target: string): string | undefined {
    return this.value.targets[target]?.environment;
  }

  set(next: Config): void {
    this.value = next;
  }
}

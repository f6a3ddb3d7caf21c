/**
 * Which configured targets an alert group is about, from its labels (`alerting.targetLabels`,
 * by default `target, service, job, app, instance`). One mapping for RBAC, the checklist and the
 * Runbook button: a label value names a target when it is the target's name, or the name
 * followed by `:` (`instance="db:9100"`). Values that name no configured target are ignored.
 */
import type { Touch } from '../command.js';
import type { AlertGroup } from './group.js';

export const DEFAULT_TARGET_LABELS: readonly string[] = ['target', 'service', 'job', 'app', 'instance'];
/** Labels that say the environment of an alert that names no target, in order. */
export const ENVIRONMENT_LABELS: readonly string[] = ['environment', 'env'];

type Labels = Record<string, string>;

export class AlertTargets {
  private readonly labels: () => readonly string[];

  /** `labels` as a function: read at each call (a config reload may change them). */
  constructor(
    labels: readonly string[] | (() => readonly string[]),
    private readonly targets: () => readonly string[],
  ) {
    this.labels = typeof labels === 'function' ? labels : () => labels;
  }

  /** The configured target a label value names: `db`, or `db` from `db:9100`. */
  targetNamedBy(value: string): string | undefined {
    const known = this.targets();
    if (known.includes(value)) return value;
    const head = value.split(':')[0] as string;
    return head !== value && known.includes(head) ? head : undefined;
  }

  /** Targets one set of labels names, in the order of `alerting.targetLabels`. */
  targetsOfLabels(labels: Labels): string[] {
    const out: string[] = [];
    for (const key of this.labels()) {
      const value = labels[key];
      const t = value === undefined ? undefined : this.targetNamedBy(value);
      if (t && !out.includes(t)) out.push(t);
    }
    return out;
  }

  /** Every configured target the group's labels name. */
  targetsOf(g: Pick<AlertGroup, 'groupLabels' | 'commonLabels' | 'alerts'>): string[] {
    const out = new Set<string>();
    for (const labels of labelSets(g)) for (const t of this.targetsOfLabels(labels)) out.add(t);
    return [...out];
  }

  /** The target the group is first about (the Runbook button's argument). */
  primaryTarget(g: Pick<AlertGroup, 'groupLabels' | 'commonLabels' | 'alerts'>): string | undefined {
    return this.targetsOfLabels({ ...g.groupLabels, ...g.commonLabels })[0] ?? this.targetsOf(g)[0];
  }

  concerns(g: Pick<AlertGroup, 'groupLabels' | 'commonLabels' | 'alerts'>, target: string): boolean {
    return this.targetsOf(g).includes(target);
  }

  /**
   * What acting on the group touches, for RBAC: each target its alerts name (whose environment
   * comes from config); an alert that names none touches the environment of its `environment` /
   * `env` label, or — with neither — something only an unlimited role may act on.
   */
  touchesOf(g: Pick<AlertGroup, 'groupLabels' | 'commonLabels' | 'alerts'>): Touch[] {
    const touches: Touch[] = [];
    const add = (t: Touch) => {
      if (!touches.some((x) => x.target === t.target && x.environment === t.environment)) touches.push(t);
    };
    for (const labels of labelSets(g)) {
      const named = this.targetsOfLabels(labels);
      if (named.length) {
        for (const target of named) add({ target });
        continue;
      }
      const environment = ENVIRONMENT_LABELS.map((k) => labels[k]).find((v) => v);
      add(environment ? { environment } : {});
    }
    return touches;
  }
}

/** Each alert's labels over the group's (one set for a group without alerts). */
function labelSets(g: Pick<AlertGroup, 'groupLabels' | 'commonLabels' | 'alerts'>): Labels[] {
  const base = { ...g.groupLabels, ...g.commonLabels };
  return g.alerts.length ? g.alerts.map((a) => ({ ...base, ...a.labels })) : [base];
}

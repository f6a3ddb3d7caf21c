/**
 * How a maintenance window silences its target in Alertmanager: one silence per label of
 * `alerting.targetLabels`, each with the single matcher `<label>=~"<target>(:.*)?"` — the same
 * rule by which an alert names a target (the value is the target's name, or the name, `:` and
 * more, as in `instance="db:9100"`). Alertmanager ANDs the matchers of one silence, so "any of
 * these labels" takes one silence per label.
 */
const ESCAPE = /[.*+?^${}()|[\]\\]/g;
const SUFFIX = '(:.*)?';

/** The regex value of a target's maintenance matcher: `db(:.*)?`, `api\.v2(:.*)?`. */
export function targetMatcherValue(target: string): string {
  return `${target.replace(ESCAPE, '\\$&')}${SUFFIX}`;
}

/** The target a maintenance matcher value names, if the value has that form. */
export function targetOfMatcherValue(value: string): string | undefined {
  if (!value.endsWith(SUFFIX)) return undefined;
  const escaped = value.slice(0, -SUFFIX.length);
  const target = escaped.replace(/\\(.)/g, '$1');
  return target && targetMatcherValue(target) === value ? target : undefined;
}

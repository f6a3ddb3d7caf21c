/** The values a run's templates are filled with: its params, and an alert group's labels and annotations. */
import { UserError } from '../errors.js';
import type { RunbookDefinition } from './definition.js';

/** What a runbook needs of an alert group (AlertService.find). */
export interface RunbookAlert {
  _id: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  routes?: readonly { channel: string; route: string; runbook?: string }[];
  alerts?: readonly { labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** The pairs every one of these sets has with the same value. */
function common(sets: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((s) => s[k] === v)));
}

/** The labels and annotations of a group that hold for all its alerts. */
export function alertValues(g: RunbookAlert): { labels: Record<string, string>; annotations: Record<string, string> } {
  const alerts = g.alerts ?? [];
  return {
    labels: { ...common(alerts.map((a) => a.labels)), ...g.groupLabels, ...g.commonLabels },
    annotations: { ...common(alerts.map((a) => a.annotations)), ...g.commonAnnotations },
  };
}

export interface ValueInput {
  runbook: string;
  definition: RunbookDefinition;
  target?: string | undefined;
  params?: Readonly<Record<string, string>> | undefined;
  alert?: RunbookAlert | undefined;
  /** The configured target an alert group is about (`alerting.targetLabels`). */
  targetOfAlert?: ((g: RunbookAlert) => string | undefined) | undefined;
  targets: readonly string[];
}

/** `k=v,k2=v2` (the `--param` option) → pairs. */
export function parseParams(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw new UserError('usage', `--param takes name=value pairs separated by commas, got "${pair}"`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

export function resolveValues(input: ValueInput): { values: Record<string, string>; target?: string } {
  const { definition: def, alert, runbook } = input;
  const given = { ...input.params };
  const values: Record<string, string> = {};
  const { labels, annotations } = alert ? alertValues(alert) : { labels: {} as Record<string, string>, annotations: {} };
  for (const [k, v] of Object.entries(labels)) values[`labels.${k}`] = v;
  for (const [k, v] of Object.entries(annotations)) values[`annotations.${k}`] = v;

  const unknown = Object.keys(given).filter((k) => !def.params.includes(k));
  if (unknown.length) throw new UserError('usage', `runbook ${runbook} has no param ${unknown.join(', ')} (params: ${def.params.join(', ') || 'none'})`);
  let target: string | undefined;
  if (def.params.includes('target')) {
    target = input.target ?? given.target ?? (alert ? input.targetOfAlert?.(alert) : undefined);
    if (target !== undefined && !input.targets.includes(target)) throw new UserError('not_found', `unknown target "${target}" (targets: ${input.targets.join(', ') || 'none'})`);
    if (target !== undefined) given.target = target;
  } else if (input.target !== undefined) {
    throw new UserError('usage', `runbook ${runbook} takes no target (params: ${def.params.join(', ') || 'none'})`);
  }
  const missing: string[] = [];
  for (const p of def.params) {
    const v = given[p] ?? labels[p];
    if (v === undefined || v === '') missing.push(p);
    else values[p] = v;
  }
  if (missing.length) {
    const hint = missing.includes('target') ? `runbook ${runbook} <target>` : `runbook ${runbook} --param ${missing.map((m) => `${m}=…`).join(',')}`;
    throw new UserError('usage', `runbook ${runbook} needs ${missing.join(', ')} (${hint})`);
  }
  return { values, ...(target ? { target } : {}) };
}

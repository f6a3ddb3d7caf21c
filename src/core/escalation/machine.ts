/**
 * The escalation step machine, pure. It runs over a snapshot of the policy taken when the
 * escalation started (a config change later never changes a running escalation), and knows
 * nothing of stores, locks or chat: `fire` says which step is due and what the state becomes.
 */
import type { EscalationPolicyConfig, NotifyTarget } from '../../config/oncall-schema.js';

export interface PolicySnapshot {
  name: string;
  steps: { notify: NotifyTarget[]; delay: number }[];
  repeat: number;
}

export type Phase = 'running' | 'paused' | 'stopped' | 'exhausted';

export interface MachineState {
  phase: Phase;
  /** The step that fires next (0-based) and the pass it belongs to (0 = first run through). */
  step: number;
  pass: number;
  /** When the next step is due (ms). */
  dueAt: number;
  /** While paused: how long was left until the step was due. */
  remainingMs?: number;
  /** `pass.step` of every step fired, in order. */
  fired: string[];
  stopReason?: string;
}

export interface Fired {
  step: number;
  pass: number;
  dueAt: number;
  firedAt: number;
  /** Fired by hand (`escalate`), not because it was due. */
  manual: boolean;
}

export function snapshotOf(name: string, policy: EscalationPolicyConfig): PolicySnapshot {
  return { name, steps: policy.steps.map((s) => ({ notify: structuredClone(s.notify), delay: s.delay })), repeat: policy.repeat };
}

/** A new escalation: the first step is due at once. */
export function start(now: number): MachineState {
  return { phase: 'running', step: 0, pass: 0, dueAt: now, fired: [] };
}

export const firedKey = (pass: number, step: number) => `${pass}.${step}`;

export function isDue(s: MachineState, now: number): boolean {
  return s.phase === 'running' && s.dueAt <= now;
}

function advance(p: PolicySnapshot, s: MachineState, fired: Fired): MachineState {
  const delay = (p.steps[fired.step] as { delay: number }).delay;
  const base = { ...s, fired: [...s.fired, firedKey(fired.pass, fired.step)] };
  if (fired.step + 1 < p.steps.length) return { ...base, step: fired.step + 1, pass: fired.pass, dueAt: fired.firedAt + delay };
  if (fired.pass < p.repeat) return { ...base, step: 0, pass: fired.pass + 1, dueAt: fired.firedAt + delay };
  return { ...base, phase: 'exhausted', step: p.steps.length, dueAt: Number.MAX_SAFE_INTEGER };
}

/** The due step, if any, and the state after it fired. */
export function fire(p: PolicySnapshot, s: MachineState, now: number): { state: MachineState; fired: Fired } | undefined {
  if (!isDue(s, now) || s.fired.includes(firedKey(s.pass, s.step))) return undefined;
  const fired: Fired = { step: s.step, pass: s.pass, dueAt: s.dueAt, firedAt: now, manual: false };
  return { state: advance(p, s, fired), fired };
}

/**
 * `escalate` by hand: fires the next step now, or step `to` (0-based) of the current pass.
 * A step already fired in this pass moves to the next pass if there is one left.
 */
export function escalateNow(p: PolicySnapshot, s: MachineState, now: number, to?: number): { state: MachineState; fired: Fired } | undefined {
  if (s.phase === 'stopped') return undefined;
  let step = to ?? (s.phase === 'exhausted' ? p.steps.length - 1 : s.step);
  let pass = s.phase === 'exhausted' ? p.repeat : s.pass;
  if (step < 0 || step >= p.steps.length) return undefined;
  while (s.fired.includes(firedKey(pass, step))) {
    if (to === undefined && step + 1 < p.steps.length) step++;
    else if (pass < p.repeat) pass++;
    else return undefined;
  }
  const fired: Fired = { step, pass, dueAt: now, firedAt: now, manual: true };
  const { remainingMs: _r, ...rest } = s;
  return { state: advance(p, { ...rest, phase: 'running' }, fired), fired };
}

/** Ack or resolve: nothing fires any more. */
export function stop(s: MachineState, reason: string): MachineState {
  if (s.phase === 'stopped') return s;
  return { ...s, phase: 'stopped', stopReason: reason };
}

/** A silence or maintenance: the clock of the waiting step stops. */
export function pause(s: MachineState, now: number): MachineState {
  if (s.phase !== 'running') return s;
  return { ...s, phase: 'paused', remainingMs: Math.max(0, s.dueAt - now) };
}

export function resume(s: MachineState, now: number): MachineState {
  if (s.phase !== 'paused') return s;
  const { remainingMs, ...rest } = s;
  return { ...rest, phase: 'running', dueAt: now + (remainingMs ?? 0) };
}

/** `step 2 of 3` (and the pass when the policy repeats). */
export function describeStep(p: PolicySnapshot, f: Pick<Fired, 'step' | 'pass'>): string {
  return `step ${f.step + 1} of ${p.steps.length}${p.repeat ? `, pass ${f.pass + 1} of ${p.repeat + 1}` : ''}`;
}

/** A runbook as configured: its params and its steps (each a command line template). */
export type RunbookStep =
  | { kind: 'run'; line: string; name?: string; expect?: 'ok'; continue: boolean; approval: boolean }
  | { kind: 'watch'; line: string; name?: string; everyMs: number; forMs: number; continue: boolean };

export interface RunbookDefinition {
  description?: string | undefined;
  params: string[];
  steps: RunbookStep[];
}

/** How many times a watch step runs its command: at 0, every, 2·every … up to `for`. */
export function watchRepetitions(step: { everyMs: number; forMs: number }): number {
  return Math.floor(step.forMs / step.everyMs) + 1;
}

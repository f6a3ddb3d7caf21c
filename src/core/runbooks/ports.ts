/**
 * What the runbook executor is given (its dependencies and the input of a start), and the context
 * its parts share: the runs store, this process as a run's owner, the lease length and the living
 * message.
 */
import type { Logger } from 'pino';
import type { Risk, Subject } from '../command.js';
import type { Clock } from '../clock.js';
import type { Coordination } from '../coordination/types.js';
import type { CommandRunner } from '../invocation.js';
import type { ApprovalEvents } from '../approvals/port.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store/types.js';
import type { AuditOwner } from '../audit/entry.js';
import type { RunbookDefinition } from './definition.js';
import type { RunbookAlert } from './values.js';
import type { RunStore } from './run.js';
import type { LivingMessage } from './living-message.js';

/** The outbox, as far as runs use it: one document per chat message, updated in place. */
export interface RunOutbox {
  enqueue(key: string, channel: string, reply: Reply, opts?: { kind?: 'message' | 'reply'; parent?: string; priority?: number }): Promise<void>;
}

/** The audit log, as far as runs use it. */
export interface RunAudit {
  systemEvent(e: { action: string; subject?: string; message?: string; detail?: Record<string, unknown> }): Promise<void>;
}

export interface RunbooksDeps {
  definitions: Readonly<Record<string, RunbookDefinition>>;
  store: Store;
  coordination: Coordination;
  outbox: RunOutbox;
  runner: CommandRunner;
  clock: Clock;
  log: Logger;
  /** Configured target names. */
  targets: () => readonly string[];
  alerts?: { find(id: string): Promise<RunbookAlert> };
  targetOfAlert?: (g: RunbookAlert) => string | undefined;
  /** The approvals service; without it a runbook with an approval step does not start. */
  approvals?: ApprovalEvents;
  /** The risk of the command a (template) line runs, undefined for an unknown command. */
  riskOf?: (line: string) => Risk | undefined;
  /** The runbook an alert route starts by itself when a group opens (`autoRun: true`). */
  autoRunOf?: (route: string) => string | undefined;
  audit?: RunAudit;
  me?: AuditOwner;
  alive?: (pid: number) => boolean;
  leaseMs?: number;
}

export interface StartInput {
  runbook: string;
  target?: string | undefined;
  params?: Record<string, string> | undefined;
  alert?: string | undefined;
  subject: Subject;
  surface: string;
  channel?: string | undefined;
  /** Extra `<surface>:<channel>` addresses for the living message (an alert route's channels). */
  channels?: readonly string[];
  invocationId: string;
}

/** What the executor's parts share (one object: a reloaded config's definitions are seen by all). */
export interface RunContext {
  readonly deps: RunbooksDeps;
  readonly runs: RunStore;
  /** This process, as the owner recorded on the runs it drives. */
  readonly me: AuditOwner;
  readonly leaseMs: number;
  readonly message: LivingMessage;
}

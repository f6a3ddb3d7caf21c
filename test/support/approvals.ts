/**
 * An approvals setup without chat: the real router, RBAC with people, the audit log and the
 * approvals service over one in-memory store, a recording message queue in place of the outbox,
 * a ManualClock, and a dangerous `patch <target>` command that counts its runs.
 */
import { z } from 'zod';
import { pino } from 'pino';
import { Router } from '../../src/bot/router.js';
import { CommandRegistry } from '../../src/bot/registry.js';
import { AuditLog } from '../../src/core/audit.js';
import { Rbac } from '../../src/core/rbac.js';
import { People } from '../../src/core/people.js';
import { Metrics } from '../../src/core/metrics.js';
import { Redactor } from '../../src/core/redact.js';
import { ManualClock } from '../../src/core/clock.js';
import { EmbeddedStore, type Store } from '../../src/core/store/index.js';
import { defineCommand } from '../../src/core/command.js';
import { textReply, type Reply } from '../../src/core/reply.js';
import { peopleSchema } from '../../src/config/people-schema.js';
import { rbacSchema } from '../../src/config/schema.js';
import { approvalsSchema } from '../../src/config/approvals-schema.js';
import { approvalCommands } from '../../src/handlers/approvals.js';
import { ApprovalService, type MessageQueue } from '../../src/core/approvals/index.js';
import type { AuditOwner } from '../../src/core/audit.js';

export interface Enqueued {
  key: string;
  channel: string;
  reply: Reply;
  kind?: 'message' | 'reply' | undefined;
  parent?: string | undefined;
}

export class RecordingQueue implements MessageQueue {
  readonly all: Enqueued[] = [];
  async enqueue(key: string, channel: string, reply: Reply, opts: { kind?: 'message' | 'reply'; parent?: string } = {}): Promise<void> {
    this.all.push({ key, channel, reply, kind: opts.kind, parent: opts.parent });
  }
  /** The latest content of one message key. */
  latest(key: string): Reply | undefined {
    return [...this.all].reverse().find((e) => e.key === key)?.reply;
  }
}

export const PEOPLE = {
  alice: { slack: 'U0ALICE', discord: '700000000000000001', console: 'alice', roles: ['operator'] },
  bob: { slack: 'U0BOB', discord: '700000000000000002', console: 'bob', roles: ['sre-lead'] },
  carol: { slack: 'U0CAROL', console: 'carol', roles: ['staging-lead'] },
  dave: { slack: 'U0DAVE', roles: ['admin'] },
  ivy: { slack: 'U0IVY', roles: ['incident-commander'] },
};

export const ROLES = {
  admin: { allow: ['*'] },
  operator: { allow: ['patch', 'health'] },
  'sre-lead': { allow: ['health'] },
  'staging-lead': { allow: ['health'], environments: ['staging'] },
  'incident-commander': { allow: ['patch'] },
};

export const APPROVALS = {
  breakGlass: 'incident-commander',
  default: { approvers: ['admin'], count: 1, expires: '10m' },
  rules: [
    { commands: ['patch'], environments: ['production'], approvers: ['sre-lead', 'staging-lead', 'admin'], count: 1, expires: '30m', channel: 'slack:C0APPROVALS', reason: 'required' },
    { commands: ['*'], risk: 'dangerous', approvers: ['admin'], count: 2, expires: '1h' },
  ],
};

export interface Harness {
  store: Store;
  clock: ManualClock;
  router: Router;
  service: ApprovalService;
  audit: AuditLog;
  queue: RecordingQueue;
  runs: string[];
  /** Resolves the next run of `patch` only when `release()` is called (when `hold` is set). */
  gate: { hold: boolean; release?: () => void };
}

export async function approvalsHarness(opts: { store?: Store; clock?: ManualClock; owner?: AuditOwner; alive?: (pid: number) => boolean; approvals?: unknown; runs?: string[] } = {}): Promise<Harness> {
  const store = opts.store ?? await EmbeddedStore.open(null);
  const clock = opts.clock ?? new ManualClock();
  const audit = new AuditLog(store, { clock });
  const rbac = new Rbac(rbacSchema.parse({ roles: ROLES, subjects: { 'console:operator': ['admin'], 'slack:U0OPS': ['operator'] } }), { people: new People(peopleSchema.parse(PEOPLE)) });
  const queue = new RecordingQueue();
  const runs = opts.runs ?? [];
  const gate: Harness['gate'] = { hold: false };
  const environmentOf = (t: string) => (t.endsWith('-staging') ? 'staging' : 'production');
  const service = new ApprovalService({
    store, config: approvalsSchema.parse(opts.approvals ?? APPROVALS), rbac, environmentOf, messages: queue, audit,
    redactor: new Redactor(['s3cr3t-token']), log: pino({ level: 'silent' }), clock, commandTimeoutMs: 5000,
    ...(opts.owner ? { owner: opts.owner } : {}), ...(opts.alive ? { alive: opts.alive } : {}),
  });
  const registry = new CommandRegistry();
  registry.register(
    defineCommand({
      name: 'patch',
      summary: 'Apply pending OS patches to a target',
      params: [{ name: 'target', kind: 'positional', type: 'string', required: true, description: 'target' }],
      schema: z.object({ target: z.enum(['pixelforge', 'pixelforge-staging']) }),
      risk: 'dangerous',
      targetOf: (a) => a.target,
      describe: (a) => `apply the pending OS patches to ${a.target} and reboot it if a patch needs it`,
      async run(ctx, a) {
        runs.push(`${a.target} as ${ctx.subject.id}`);
        if (gate.hold) await new Promise<void>((r) => { gate.release = r; });
        return textReply(`Patched ${a.target}`, 'ok', '3 packages upgraded');
      },
    }),
    ...approvalCommands(service),
  );
  const router = new Router({
    registry, audit, rbac, metrics: new Metrics(), log: pino({ level: 'silent' }), redactor: new Redactor(['s3cr3t-token']),
    environmentOf, commandTimeoutMs: 5000, gate: service.gate,
  });
  service.runner = router.runner;
  await service.start();
  return { store, clock, router, service, audit, queue, runs, gate };
}

export const slackUser = (id: string) => ({ id: `slack:${id}`, display: `@${id.toLowerCase()}` });
export const discordUser = (id: string) => ({ id: `discord:user:${id}` });

/**
 * The configuration file's schema (YAML, after `${ENV}` substitution). Parsed once at the
 * composition root; services receive the parsed values and never read the file or env again.
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { alertsProbeSchema, mongoProbeSchema, postgresProbeSchema, redisProbeSchema, sqliteProbeSchema, sqlProbeSchema, tlsProbeSchema } from './probe-schemas.js';
import { userDirectorySchema } from './users-schema.js';
import { backupFreshProbeSchema, backupsSchema, checkBackupFreshRefs } from './backup-schema.js';
import { alertingSchema } from './alerting.js';
import { peopleSchema } from './people-schema.js';
import { checkJobRefs, jobsSchema, withJobSubjects } from './jobs-schema.js';
import { checkOncallRefs, oncallSections } from './oncall-schema.js';
import { checkRunbookRefs, runbooksSchema } from './runbooks-schema.js';
import { approvalsSchema, checkApprovalRoles } from './approvals-schema.js';
import { retentionSchema } from './retention-schema.js';
import { checkManagerRefs, HOST_NAME, hostsSchema, serviceManagerSchema } from './services-schema.js';
import { checkRemoteHostRefs } from './remote-host-refs.js';
import { checkLogCountFields, checkLogFileRefs, logFileCountShape, logFilesSchema } from './logfiles-schema.js';

/** `30s`, `5m`, `1h`, `7d` or milliseconds → milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 30s, 5m, 1h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

const port = z.coerce.number().int().min(1).max(65535);
const percent = z.coerce.number().min(0).max(100);
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'Use letters, digits, ".", "_" and "-" (at most 63)');

export const httpProbeSchema = z.object({
  url: z.url(),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  expectStatus: z.coerce.number().int().min(100).max(599).default(200),
  /** Fields the JSON body must have, by dotted path: `{ status: ok, "database.connected": true }`. */
  json: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  maxLatency: duration.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** This check is of the bot's own HTTP endpoint: skipped in a process that serves none (`opsbot exec`). */
  self: z.boolean().optional(),
}).strict();

export const tcpProbeSchema = z.object({
  host: z.string().min(1),
  port,
  /** This check is of the bot's own port: skipped in a process that serves none (`opsbot exec`). */
  self: z.boolean().optional(),
}).strict();

export const diskProbeSchema = z.object({
  path: z.string().min(1).default('/'),
  /** A host of `hosts:` (default: the target's manager host, else the bot's own host). */
  host: z.string().regex(HOST_NAME, 'A host name of hosts:').optional(),
  maxUsedPercent: percent.default(90),
  warnUsedPercent: percent.optional(),
}).strict();

export const memoryProbeSchema = z.object({
  /** A host of `hosts:` (default: the target's manager host, else the bot's own host). */
  host: z.string().regex(HOST_NAME, 'A host name of hosts:').optional(),
  maxUsedPercent: percent.default(90),
  warnUsedPercent: percent.optional(),
}).strict();

// --- Containers (Docker) ---------------------------------------------------------------------
/** Docker's own rule for container names (the leading `/` of the API form is accepted). */
const containerName = z.string().regex(/^\/?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'A Docker container name: letters, digits, "_", "." and "-"');
const composeLabel = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'A compose service or project name: letters, digits, "_", "." and "-"');
/** `unix:///path/docker.sock`, `tcp://host:2375` or `http://host:2375` (plain HTTP; no TLS client certificates). */
export const dockerHost = z.string().regex(/^(unix:\/\/\/[^\s?#]+|(tcp|http):\/\/[A-Za-z0-9.-]+:\d{1,5})$/, 'Use unix:///path/to/docker.sock, tcp://host:port or http://host:port (for Docker over SSH: host: <a name of hosts:>)');

/** Which containers: one by `name`, or every container of a compose `service` (optionally of one `project`). */
const containerSelectorShape = {
  name: containerName.optional(),
  service: composeLabel.optional(),
  project: composeLabel.optional(),
  /** Overrides DOCKER_HOST for this target; with `host`, the daemon's address on that host (default: its docker CLI's own). */
  dockerHost: dockerHost.optional(),
  /** A host of `hosts:`: Docker on that host, reached over SSH (`docker system dial-stdio` runs there). */
  host: z.string().regex(HOST_NAME, 'A host name of hosts:').optional(),
};

function checkSelector(sel: { name?: string | undefined; service?: string | undefined; project?: string | undefined }, ctx: z.RefinementCtx, required: boolean): void {
  if (sel.name && sel.service) ctx.addIssue({ code: 'custom', path: ['service'], message: 'Give either name or service, not both' });
  if (required && !sel.name && !sel.service) ctx.addIssue({ code: 'custom', path: ['name'], message: 'Give the container name or its compose service' });
  if (sel.project && !sel.service) ctx.addIssue({ code: 'custom', path: ['project'], message: 'project narrows a compose service: give service too' });
}

/** A target's containers, and how `restart` treats them. */
export const targetContainerSchema = z.object({
  ...containerSelectorShape,
  /** Longest wait after a restart for the container to run and the target's checks to pass. */
  restartTimeout: duration.default(60_000),
  /** Grace period Docker gives the process to stop before it is killed (docker restart -t). */
  stopTimeout: duration.default(10_000),
  /** Names of the target's health checks a restart waits for (default: all but log-count, backup-fresh and alerts). */
  waitFor: z.array(z.string().min(1)).optional(),
  /** Log lines shown when a restart fails. */
  logLines: z.coerce.number().int().min(1).max(200).default(20),
}).strict().superRefine((c, ctx) => checkSelector(c, ctx, true));
export type TargetContainerConfig = z.infer<typeof targetContainerSchema>;

/** `container`: running, and healthy when the image has a HEALTHCHECK. No name/service = the target's container. */
export const containerProbeSchema = z.object({
  ...containerSelectorShape,
  requireHealthy: z.boolean().default(true),
}).strict().superRefine((c, ctx) => checkSelector(c, ctx, false));

const validRegex = (v: string) => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
};

/** `log-count`: lines matching `pattern` in the container's logs over `window`, against thresholds. */
export const logCountProbeSchema = z.object({
  ...containerSelectorShape,
  /** A regular expression (from the config file, never from chat); optional with `files` and match/where. */
  pattern: z.string().min(1).max(500).refine(validRegex, 'Not a valid regular expression').optional(),
  ...logFileCountShape,
  ignoreCase: z.boolean().default(true),
  window: duration.default(3_600_000),
  stream: z.enum(['both', 'stdout', 'stderr']).default('both'),
  /** Fail when the count reaches this. */
  failAt: z.coerce.number().int().min(1),
  /** Warn when the count reaches this (below failAt). */
  warnAt: z.coerce.number().int().min(1).optional(),
}).strict().superRefine((c, ctx) => {
  checkSelector(c, ctx, false);
  checkLogCountFields(c, ctx);
  if (c.warnAt !== undefined && c.warnAt > c.failAt) ctx.addIssue({ code: 'custom', path: ['warnAt'], message: 'warnAt must not be above failAt' });
});

/** One health check: a name, an optional timeout, and exactly one probe kind. */
export const healthCheckSchema = z.object({
  name: z.string().min(1).max(80).optional(),
  timeout: duration.optional(),
  http: httpProbeSchema.optional(),
  tcp: tcpProbeSchema.optional(),
  disk: diskProbeSchema.optional(),
  memory: memoryProbeSchema.optional(),
  tls: tlsProbeSchema.optional(),
  mongo: mongoProbeSchema.optional(),
  redis: redisProbeSchema.optional(),
  postgres: postgresProbeSchema.optional(),
  sqlite: sqliteProbeSchema.optional(),
  sql: sqlProbeSchema.optional(),
  alerts: alertsProbeSchema.optional(),
  container: containerProbeSchema.optional(),
  'log-count': logCountProbeSchema.optional(),
  'backup-fresh': backupFreshProbeSchema.optional(),
}).strict().superRefine((check, ctx) => {
  const kinds = probeKindsOf(check);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: kinds.length === 0
        ? `A health check needs one probe: ${PROBE_KINDS.join(', ')}`
        : `A health check has one probe, found ${kinds.join(' and ')}`,
    });
  }
});

export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export const PROBE_KINDS = Object.keys(healthCheckSchema.shape).filter((k) => k !== 'name' && k !== 'timeout') as ProbeKind[];
export type ProbeKind = Exclude<keyof HealthCheckConfig, 'name' | 'timeout'>;

export function probeKindsOf(check: Record<string, unknown>): ProbeKind[] {
  return PROBE_KINDS.filter((k) => check[k] !== undefined);
}

export const targetSchema = z.object({
  description: z.string().optional(),
  environment: z.string().min(1).default('production'),
  health: z.array(healthCheckSchema).default([]),
  /** Where the target's user accounts live and what unlock / disable / enable set. */
  users: userDirectorySchema.optional(),
  container: targetContainerSchema.optional(),
  /** What runs the target's service and where: docker (the container section), systemd, pm2, supervisor. */
  manager: serviceManagerSchema.optional(),
  backups: backupsSchema.default([]),
  /** Log files on disk, here or on an SSH host (README "Log files"). */
  logFiles: logFilesSchema,
}).strict().superRefine(checkBackupFreshRefs);
export type TargetConfig = z.infer<typeof targetSchema>;

export const roleSchema = z.object({
  /** Command names or prefixes with `*`: `health`, `backup *`, `*`. */
  allow: z.array(z.string().min(1)).min(1),
  deny: z.array(z.string().min(1)).default([]),
  /** Targets this role may act on (`*` = all). */
  targets: z.array(z.string().min(1)).default(['*']),
  /** Environments this role may act on (`*` = all). */
  environments: z.array(z.string().min(1)).default(['*']),
}).strict();

export const rbacSchema = z.object({
  roles: z.record(z.string(), roleSchema).default({}),
  /** Subject → role names. Subjects: `console:operator`, `slack:U123`, `slack:usergroup:S1`, `discord:user:1`, `discord:role:2`. */
  subjects: z.record(z.string(), z.array(z.string())).default({}),
}).strict().superRefine((rbac, ctx) => {
  for (const [subject, roles] of Object.entries(rbac.subjects)) {
    roles.forEach((role, i) => {
      if (!rbac.roles[role]) {
        ctx.addIssue({ code: 'custom', path: ['subjects', subject, i], message: `Unknown role "${role}" (defined: ${Object.keys(rbac.roles).join(', ') || 'none'})` });
      }
    });
  }
});

/** The one role of a config without an `rbac` section (held by the console user). */
const DEFAULT_ROLE = 'admin';

function checkPeopleRoles(people: Record<string, { roles: string[] }>, roles: string[], ctx: z.RefinementCtx): void {
  for (const [person, p] of Object.entries(people)) {
    p.roles.forEach((role, i) => {
      if (!roles.includes(role)) ctx.addIssue({ code: 'custom', path: ['people', person, 'roles', i], message: `Unknown role "${role}" (defined: ${roles.join(', ') || 'none'})` });
    });
  }
}

export const botSchema = z.object({
  name: z.string().default('opsbot'),
  /** The subject console and `opsbot exec` commands run as. */
  consoleUser: z.string().min(1).default('console:operator'),
  commandTimeout: duration.default(60_000),
  shutdownTimeout: duration.default(10_000),
  /** Per-check timeout for health probes unless a check sets its own. */
  checkTimeout: duration.default(5_000),
}).strict();

/** `container` and `log-count` checks that name no container use their target's `container` section: it must exist. */
function checkContainerProbes(targets: Record<string, TargetConfig>, ctx: z.RefinementCtx): void {
  for (const [target, t] of Object.entries(targets)) {
    t.health.forEach((check, i) => {
      for (const kind of ['container', 'log-count'] as const) {
        const probe = check[kind];
        if (probe && !probe.name && !probe.service && !t.container && !(kind === 'log-count' && check[kind]?.files)) {
          ctx.addIssue({ code: 'custom', path: ['targets', target, 'health', i, kind], message: `Give name or service, or add a container section to target "${target}"` });
        }
      }
    });
  }
}
/** The Slack surface (credentials come from SLACK_* environment variables, never from here). */
export const slackSchema = z.object({
  /** The slash command as configured in the Slack app. */
  command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'A slash command: "/" and up to 31 of a-z, 0-9, "_", "-"').default('/ops'),
  /** Answer in the ack when a command is done within this long; slower ones are acked first (Slack allows 3s). */
  ackWithin: duration.default(1_500).refine((ms) => ms >= 0 && ms <= 2_500, 'ackWithin must be between 0 and 2.5s (Slack needs the ack within 3s)'),
  /** How long a user's Slack user groups are cached. */
  usergroupCacheTtl: duration.default(300_000),
}).strict();

export const configSchema = z.object({
  bot: botSchema.default(() => botSchema.parse({})),
  targets: z.record(name, targetSchema).default({}),
  /** Without an `rbac` section the console user is admin and chat users have no role. */
  rbac: rbacSchema.optional(),
  /** One human behind several identities: `alice: { slack: U123, discord: "42", roles: [operator] }`. */
  people: peopleSchema.default({}),
  alerting: alertingSchema.default(() => alertingSchema.parse({})),
  slack: slackSchema.default(() => slackSchema.parse({})),
  /** Scheduled jobs: a command line on a cron expression (README "Scheduled jobs"). */
  jobs: jobsSchema.default({}),
  ...oncallSections,
  /** Runbooks: named sequences of commands (README "Runbooks"). */
  runbooks: runbooksSchema.default({}),
  approvals: approvalsSchema.default(() => approvalsSchema.parse({})),
  retention: retentionSchema.default(() => retentionSchema.parse({})),
  /** Remote hosts reached over SSH (README "Service managers and hosts"). */
  hosts: hostsSchema,
}).strict().superRefine((cfg, ctx) => {
  checkOncallRefs(cfg, ctx);
  checkRunbookRefs(cfg, ctx);
  checkContainerProbes(cfg.targets, ctx);
  checkManagerRefs(cfg, ctx);
  checkLogFileRefs(cfg, ctx);
  checkRemoteHostRefs(cfg, ctx);
  checkPeopleRoles(cfg.people, cfg.rbac ? Object.keys(cfg.rbac.roles) : [DEFAULT_ROLE], ctx);
  checkJobRefs(cfg.jobs, cfg.rbac, [DEFAULT_ROLE], ctx);
  checkApprovalRoles(cfg.approvals, cfg.rbac ? Object.keys(cfg.rbac.roles) : [DEFAULT_ROLE], ctx);
}).transform(({ rbac, ...rest }) => ({
  ...rest,
  // A job's `role` is its subject's (`system:job:<name>`) entry under rbac.subjects.
  rbac: withJobSubjects(rbac ?? rbacSchema.parse({ roles: { [DEFAULT_ROLE]: { allow: ['*'] } }, subjects: { [rest.bot.consoleUser]: [DEFAULT_ROLE] } }), rest.jobs),
}));

export type Config = z.infer<typeof configSchema>;

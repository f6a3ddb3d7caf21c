/**
 * Config of service managers and hosts (README "Service managers and hosts"):
 * `targets.<t>.manager: { kind: docker|systemd|pm2|supervisor, host?, … }` says what runs a
 * target's service and where, and the top-level `hosts:` says how opsbot reaches a remote host
 * over SSH (address, user, private key from a file or an environment variable, pinned host key).
 */
import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { HOST_KEY_FORMAT, parsePinnedKey } from '../ops/hosts/host-key.js';

const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `Invalid duration "${v}" (use e.g. 30s, 5m, 1h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

/** A host name in `hosts:` (and in `manager.host`). */
export const HOST_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const hostName = z.string().regex(HOST_NAME, 'A host name: lower-case letters, digits, ".", "_" and "-"');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'An environment variable name');
const absolutePath = z.string().min(1).refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'Must be an absolute path');
/** A program name or path: no whitespace or control characters (it is one argv element). */
const program = z.string().min(1).max(200).refine((p) => ![...p].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f), 'A program name or absolute path (no spaces or control characters)');

/** `hosts.<name>`: a remote host reached over SSH. */
export const sshHostSchema = z.object({
  /** DNS name or IP address. */
  address: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'A DNS name or an IP address'),
  port: z.coerce.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'A Unix user name'),
  /** The private key file (OpenSSH or PEM format). */
  privateKeyFile: absolutePath.optional(),
  /** Or: the environment variable holding the private key itself. */
  privateKeyEnv: envName.optional(),
  /** The environment variable holding the key's passphrase, when it has one. */
  passphraseEnv: envName.optional(),
  /** The pinned host key: its public key line or SHA256 fingerprint. Without it opsbot refuses to connect (and names the key offered). */
  hostKey: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(16_384).refine((k) => parsePinnedKey(k) !== undefined, `Not a host key: give ${HOST_KEY_FORMAT}`).optional()),
  connectTimeout: durationMs.default(10_000),
}).strict().superRefine((h, ctx) => {
  if (!h.privateKeyFile === !h.privateKeyEnv) ctx.addIssue({ code: 'custom', path: ['privateKeyFile'], message: 'Give exactly one of privateKeyFile or privateKeyEnv' });
});
export type SshHostConfig = z.infer<typeof sshHostSchema>;

export const hostsSchema = z.record(hostName, sshHostSchema).default({});

/** What every manager shares: where it runs and how `restart` waits. */
const common = {
  /** A host from `hosts:`; the bot's own host when absent. */
  host: hostName.optional(),
  /** Longest wait after a restart for the service to run and the target's checks to pass. */
  restartTimeout: durationMs.default(60_000),
  /** Longest one manager command (systemctl, pm2, supervisorctl) may take. */
  commandTimeout: durationMs.default(30_000),
  /** Names of the target's health checks a restart waits for (default: all but log-count, backup-fresh and alerts). */
  waitFor: z.array(z.string().min(1)).optional(),
  /** Log lines shown when a restart fails. */
  logLines: z.coerce.number().int().min(1).max(200).default(20),
};

/** The target's `container:` section says which containers and where (`container.host` for Docker over SSH, `container.dockerHost`). */
export const dockerManagerSchema = z.object({ kind: z.literal('docker') }).strict();

export const systemdManagerSchema = z.object({
  kind: z.literal('systemd'),
  ...common,
  /** The unit: `stormforge-backend` or `stormforge-backend.service`. */
  unit: z.string().regex(/^[A-Za-z0-9:_.@\\-]{1,255}$/, 'A systemd unit name').refine((u) => !u.startsWith('-'), 'A unit name does not start with "-"'),
  /** A user unit of the SSH user (`systemctl --user`). */
  userUnit: z.boolean().default(false),
  /** Run systemctl through `sudo -n` (a NOPASSWD sudoers rule for exactly these commands). */
  sudo: z.boolean().default(false),
}).strict();

export const pm2ManagerSchema = z.object({
  kind: z.literal('pm2'),
  ...common,
  /** The pm2 app name (as `pm2 list` shows it). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'A pm2 app name: letters, digits, "_", ".", "@" and "-"'),
  /** The pm2 program. */
  pm2: program.default('pm2'),
  /** PM2_HOME of the pm2 daemon (default: pm2's own, ~/.pm2 of the user). */
  pm2Home: absolutePath.optional(),
}).strict();

export const supervisorManagerSchema = z.object({
  kind: z.literal('supervisor'),
  ...common,
  /** The program (`linguamate`) or `group:program`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}(:[A-Za-z0-9][A-Za-z0-9_.-]{0,127})?$/, 'A supervisor program name, or group:program'),
  /** supervisorctl's config file (-c): it names the server and holds any credentials, so none is on the command line. */
  configFile: absolutePath.optional(),
  supervisorctl: program.default('supervisorctl'),
}).strict();

export const serviceManagerSchema = z.discriminatedUnion('kind', [dockerManagerSchema, systemdManagerSchema, pm2ManagerSchema, supervisorManagerSchema]);
export type ServiceManagerConfig = z.infer<typeof serviceManagerSchema>;
export type SystemdManagerConfig = z.infer<typeof systemdManagerSchema>;
export type Pm2ManagerConfig = z.infer<typeof pm2ManagerSchema>;
export type SupervisorManagerConfig = z.infer<typeof supervisorManagerSchema>;
/** The managers that are not Docker (they run through a host's commands). */
export type HostServiceConfig = SystemdManagerConfig | Pm2ManagerConfig | SupervisorManagerConfig;

/** Each `manager.host` names a host of `hosts:`; `kind: docker` needs the target's `container:` section. */
export function checkManagerRefs(cfg: { hosts: Record<string, unknown>; targets: Record<string, { manager?: ServiceManagerConfig | undefined; container?: unknown }> }, ctx: z.RefinementCtx): void {
  for (const [target, t] of Object.entries(cfg.targets)) {
    const m = t.manager;
    if (!m) continue;
    if (m.kind === 'docker') {
      if (!t.container) ctx.addIssue({ code: 'custom', path: ['targets', target, 'manager'], message: 'kind: docker uses the target\'s container section: add `container:` with name or service' });
      continue;
    }
    if (t.container) ctx.addIssue({ code: 'custom', path: ['targets', target, 'container'], message: `The target's service runs under ${m.kind}: remove container (or use manager kind: docker)` });
    if (m.host && !cfg.hosts[m.host]) {
      const known = Object.keys(cfg.hosts);
      ctx.addIssue({ code: 'custom', path: ['targets', target, 'manager', 'host'], message: `Unknown host "${m.host}" (hosts: ${known.join(', ') || 'none; add a hosts: section'})` });
    }
  }
}

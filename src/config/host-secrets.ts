/**
 * The SSH secrets of `hosts:` (private keys and passphrases), read from the environment variables
 * the config names — here, where process.env may be read — and handed to ops as values. A key
 * file is read when first used, so a missing file is an error of that host's commands, not of
 * start-up.
 */
import type { SshHostConfig } from './services-schema.js';

export interface HostSecrets {
  /** The private key: from privateKeyEnv, or undefined when it comes from privateKeyFile. */
  privateKey?: string;
  passphrase?: string;
  /** Why the secret is missing (an unset variable), for the error of that host's commands. */
  missing?: string;
}

export function hostSecrets(hosts: Record<string, SshHostConfig>, env: NodeJS.ProcessEnv = process.env): Record<string, HostSecrets> {
  const out: Record<string, HostSecrets> = {};
  for (const [name, h] of Object.entries(hosts)) {
    const s: HostSecrets = {};
    if (h.privateKeyEnv) {
      const key = env[h.privateKeyEnv];
      if (key) s.privateKey = key.replace(/\\n/g, '\n');
      else s.missing = `the environment variable ${h.privateKeyEnv} (hosts.${name}.privateKeyEnv) is not set`;
    }
    if (h.passphraseEnv) {
      const p = env[h.passphraseEnv];
      if (p) s.passphrase = p;
      else s.missing ??= `the environment variable ${h.passphraseEnv} (hosts.${name}.passphraseEnv) is not set`;
    }
    out[name] = s;
  }
  return out;
}

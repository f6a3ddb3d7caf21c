/**
 * Pinned SSH host keys: a host's key is given in config as the public key line
 * (`ssh-ed25519 AAAA…`, as `ssh-keyscan` or `/etc/ssh/ssh_host_ed25519_key.pub` print it) or as
 * its SHA-256 fingerprint (`SHA256:…`, as `ssh-keygen -lf` prints it). A server offering any
 * other key is refused; so is a host with no pinned key (its offered key is named, to pin it).
 */
import { createHash } from 'node:crypto';

export interface PinnedKey {
  /** `SHA256:<base64 without padding>`. */
  fingerprint: string;
  /** The key type when the key line was given (`ssh-ed25519`): the only host key algorithm offered. */
  type?: string;
}

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+([A-Za-z0-9+/]+={0,2})(\s.*)?$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return len > 0 && len < 64 && key.length >= 4 + len ? key.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/** Parses a configured host key; undefined when it is neither a key line nor a fingerprint. */
export function parsePinnedKey(text: string): PinnedKey | undefined {
  const t = text.trim();
  if (FINGERPRINT.test(t)) return { fingerprint: t };
  const m = KEY_LINE.exec(t);
  if (!m) return undefined;
  const blob = Buffer.from(m[2] as string, 'base64');
  if (keyTypeOf(blob) !== m[1]) return undefined;
  return { fingerprint: fingerprintOf(blob), type: m[1] as string };
}

export const HOST_KEY_FORMAT = 'the public key line (e.g. "ssh-ed25519 AAAA…" from ssh-keyscan) or its fingerprint ("SHA256:…" from ssh-keygen -lf)';

/** Why a key offered by `host` is refused, or undefined when it is the pinned one. */
export function hostKeyRefusal(host: string, address: string, pinned: PinnedKey | undefined, offered: Buffer): string | undefined {
  const got = `${keyTypeOf(offered)} ${fingerprintOf(offered)}`;
  if (!pinned) {
    return `SSH host ${host} (${address}) has no pinned host key, so opsbot does not connect. The server offered ${got}; `
      + `check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and set hosts.${host}.hostKey.`;
  }
  if (fingerprintOf(offered) === pinned.fingerprint) return undefined;
  return `SSH host key of ${host} (${address}) does not match the pinned key: expected ${pinned.fingerprint}, the server offered ${got}. `
    + 'opsbot refuses to connect (the host was reinstalled, or someone is in between). Check the key on the host and update hosts.'
    + `${host}.hostKey if the change is expected.`;
}

/**
 * How every SSH connection of opsbot is made (commands, and Docker's `dial-stdio` tunnels): the
 * configured user and private key only (no ssh-agent, no keyboard-interactive, no known_hosts
 * file), the server's host key checked against the pinned one, and connection failures turned
 * into `SshError`s that say what to do.
 */
import type { ConnectConfig } from 'ssh2';
import { UserError } from '../../core/errors.js';
import { hostKeyRefusal, type PinnedKey } from './host-key.js';

export interface SshTarget {
  /** The configured host name (`hosts.<name>`). */
  name: string;
  address: string;
  port: number;
  user: string;
  privateKey: Buffer | string;
  passphrase?: string | undefined;
  pinned: PinnedKey | undefined;
  connectTimeoutMs: number;
}

/** A connection or authentication problem (not the remote command's own failure); its message is for the person who asked. */
export class SshError extends UserError {
  constructor(message: string, readonly kind: 'host-key' | 'auth' | 'connect' | 'timeout') {
    super(kind === 'timeout' ? 'timeout' : kind === 'host-key' || kind === 'auth' ? 'denied' : 'unavailable', message);
    this.name = 'SshError';
  }
}

/** Why the last host key offered was refused, set by the connection's host verifier. */
export interface Refusal {
  text?: string | undefined;
}

/** ssh2's connection settings for the target; `refusal` records why a host key was refused. */
export function sshConnectConfig(t: SshTarget, refusal: Refusal): ConnectConfig {
  return {
    host: t.address,
    port: t.port,
    username: t.user,
    privateKey: t.privateKey,
    ...(t.passphrase ? { passphrase: t.passphrase } : {}),
    readyTimeout: t.connectTimeoutMs,
    tryKeyboard: false,
    agent: undefined,
    hostVerifier: (key: Buffer) => {
      refusal.text = hostKeyRefusal(t.name, `${t.address}:${t.port}`, t.pinned, key);
      return refusal.text === undefined;
    },
    ...(t.pinned?.type ? { algorithms: { serverHostKey: [t.pinned.type as 'ssh-ed25519'] } } : {}),
  };
}

/** A connection error of ssh2 as an SshError naming the host and the reason. */
export function sshFailure(t: SshTarget, e: Error & { level?: string }, refusal: Refusal): SshError {
  if (refusal.text) return new SshError(refusal.text, 'host-key');
  if (e.level === 'client-authentication') return new SshError(`ssh ${t.name}: ${t.user}@${t.address} refused the key (authentication failed)`, 'auth');
  if (e.level === 'client-timeout') return new SshError(`ssh ${t.name}: no SSH handshake with ${t.address}:${t.port} within ${Math.round(t.connectTimeoutMs / 1000)}s`, 'timeout');
  return new SshError(`ssh ${t.name}: cannot connect to ${t.address}:${t.port}: ${e.message}`, 'connect');
}

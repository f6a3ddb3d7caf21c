/** Where commands run: this host (execFile) or a remote one over SSH with a pinned host key. */
export { commandLine, shellQuote } from './quote.js';
export { failureText, type ExecOptions, type ExecResult, type HostExec } from './exec.js';
export { LocalExec } from './local.js';
export { SshError, SshExec, type SshTarget } from './ssh.js';
export { fingerprintOf, hostKeyRefusal, parsePinnedKey, type PinnedKey } from './host-key.js';
export { Hosts } from './registry.js';
export type { ChannelOptions, HostTunnel } from './ssh-channel.js';

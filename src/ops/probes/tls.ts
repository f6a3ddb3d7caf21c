/** TLS probe: days until the server's certificate expires, with warn and fail thresholds. */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { z } from 'zod';
import type { tlsProbeSchema } from '../../config/probe-schemas.js';
import type { Probe, ProbeOutcome } from './types.js';

export type TlsProbeConfig = z.infer<typeof tlsProbeSchema>;

const DAY_MS = 86_400_000;

export interface PeerCertificateInfo {
  subject: string;
  issuer: string;
  validTo: Date;
  authorized: boolean;
  authorizationError?: string;
}

/** Connects, takes the peer certificate, and closes. Never sends application data. */
export function fetchCertificate(cfg: TlsProbeConfig, ca: string | undefined, signal: AbortSignal, timeoutMs: number): Promise<PeerCertificateInfo> {
  return new Promise((resolve, reject) => {
    const servername = cfg.servername ?? cfg.host;
    const socket = tls.connect({
      host: cfg.host,
      port: cfg.port,
      // SNI must not be an IP address; the name check still uses `servername`.
      ...(net.isIP(servername) !== 0 ? {} : { servername }),
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
    });
    const finish = (err: Error | undefined, info?: PeerCertificateInfo) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(info as PeerCertificateInfo);
    };
    const onAbort = () => finish(new Error(`no TLS handshake within ${timeoutMs}ms`));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(timeoutMs, onAbort);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert || !cert.valid_to) return finish(new Error('the server sent no certificate'));
      let authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      let authorized = socket.authorized;
      if (authorized || authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        const mismatch = tls.checkServerIdentity(servername, cert);
        if (mismatch) {
          authorized = false;
          authorizationError = mismatch.message;
        }
      }
      finish(undefined, {
        subject: cert.subject?.CN ? String(cert.subject.CN) : JSON.stringify(cert.subject ?? {}),
        issuer: cert.issuer?.CN ? String(cert.issuer.CN) : JSON.stringify(cert.issuer ?? {}),
        validTo: new Date(cert.valid_to),
        authorized,
        ...(authorizationError ? { authorizationError } : {}),
      });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => finish(new Error(e.code === 'ECONNREFUSED' ? 'refused the connection' : (e.code ?? e.message))));
  });
}

/** Status for the days left: fail at or below failDays (and when expired), warn at or below warnDays. */
export function expiryStatus(daysLeft: number, warnDays: number, failDays: number): ProbeOutcome['status'] {
  if (daysLeft <= 0 || daysLeft <= failDays) return 'fail';
  if (daysLeft <= warnDays) return 'warn';
  return 'ok';
}

export const tlsProbe: Probe<TlsProbeConfig> = async (cfg, ctx) => {
  const where = `${cfg.host}:${cfg.port}`;
  let ca: string | undefined;
  if (cfg.ca) {
    try {
      ca = await readFile(cfg.ca, 'utf8');
    } catch (e) {
      return { status: 'fail', detail: `cannot read CA file ${cfg.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  }
  let info: PeerCertificateInfo;
  try {
    info = await fetchCertificate(cfg, ca, ctx.signal, ctx.timeoutMs);
  } catch (e) {
    return { status: 'fail', detail: `${where}: ${(e as Error).message}` };
  }
  const daysLeft = Math.floor((info.validTo.getTime() - Date.now()) / DAY_MS);
  const expires = info.validTo.toISOString().slice(0, 10);
  const data = { daysLeft, expires, authorized: info.authorized };
  if (cfg.verify && !info.authorized) {
    return { status: 'fail', detail: `${where}: certificate not trusted (${info.authorizationError ?? 'unknown reason'}); expires ${expires}, ${daysLeft} days left`, data };
  }
  if (info.validTo.getTime() <= Date.now()) {
    return { status: 'fail', detail: `${where}: certificate for ${info.subject} EXPIRED on ${expires}`, data };
  }
  const status = expiryStatus(daysLeft, cfg.warnDays, cfg.failDays);
  const limit = status === 'fail' ? `, at or under ${cfg.failDays}` : status === 'warn' ? `, at or under ${cfg.warnDays}` : '';
  return { status, detail: `${where}: certificate for ${info.subject} expires ${expires}, ${daysLeft} days left${limit}`, data };
};

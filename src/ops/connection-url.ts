/**
 * Connection URLs carry passwords (`mongodb://app:s3cret@db/x`). These helpers make sure a URL or
 * an error message that quotes one never shows the password: details, logs and chat get the
 * URL without its credentials.
 */
import { Redactor } from '../core/redact.js';

/** `postgres://app:pw@db:5432/x?sslmode=require` → `postgres://db:5432/x` (credentials and query dropped). */
export function displayUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/]*@)?([^/?#]*)([^?#]*)/i.exec(url);
  return m ? `${m[1]}${m[2]}${m[3]}` : '[url]';
}

/** The secret parts of a URL: the password and the whole userinfo, raw and percent-decoded. */
export function urlSecrets(url: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^@/]*)@/i.exec(url);
  if (!m?.[1]) return [];
  const userinfo = m[1];
  const password = userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : '';
  const out = [userinfo, password];
  try {
    out.push(decodeURIComponent(password));
  } catch {
    /* not percent-encoded */
  }
  return out.filter((s) => s.length > 0);
}

/** A function that removes the URL's secrets (and the usual secret shapes) from any text. */
export function scrubberFor(...urls: (string | undefined)[]): (text: string) => string {
  const redactor = new Redactor(urls.flatMap((u) => (u ? urlSecrets(u) : [])));
  // Passwords shorter than the redactor's minimum still go: replace them in user:pw@ form.
  const shortOnes = urls.flatMap((u) => (u ? urlSecrets(u) : [])).filter((s) => s.length < 4);
  return (text) => {
    let out = redactor.text(text);
    for (const s of shortOnes) out = out.split(`:${s}@`).join(':[redacted]@');
    return out;
  };
}

/** The message of an error, secrets removed, on one line, at most 300 characters. */
export function safeError(e: unknown, scrub: (t: string) => string): string {
  const err = e as { code?: unknown; message?: unknown };
  const msg = typeof err?.message === 'string' && err.message ? err.message : String(e);
  const line = scrub(msg).replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * Secret redaction for logs, audit entries and chat. Known secret values (tokens from the
 * environment) are replaced wherever they appear, and common secret shapes are masked too:
 * credentials in URLs and connection strings (`//user:pw@`, `?token=`, `Password=`), secret
 * headers (`Authorization:`, `Cookie:`, `X-Api-Key:`) and fields named like secrets.
 * The router passes every outgoing reply through `reply()`.
 */
import type { Reply, ReplyBlock, ReplyButton } from './reply.js';

/** Names of settings, headers and query parameters whose value is a secret (`DB_PASSWORD`, `X-Api-Key`). */
const SECRET_NAME = String.raw`(?:[A-Za-z0-9]+[_.-])*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?)`;
/** Query parameters carry a few more (`?sig=`, `&X-Amz-Signature=`, `?auth=`, `?session=`). */
const SECRET_PARAM = String.raw`(?:[A-Za-z0-9]+[_.-])*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?|auth|sig|signature|session|key)`;

const PATTERNS: [RegExp, string][] = [
  [/\b(xox[abprs]-[A-Za-z0-9-]{6,})/g, '[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [redacted]'],
  // Userinfo of a URL or connection string: `//user:pw@`, `//:pw@` (Redis); a password may hold `@`.
  [/(\/\/[^/\s:@]*:)[^\s/]*@/g, '$1[redacted]@'],
  // Secret query parameters: `?token=…`, `&X-Amz-Signature=…`, `?sig=…`.
  [new RegExp(String.raw`([?&;]${SECRET_PARAM}=)[^&;#\s"']+`, 'gi'), '$1[redacted]'],
  // Secret headers written out: `Authorization: …` (the scheme kept when it is Bearer or Basic), `Cookie: …`.
  [/\b((?:proxy-)?authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)(?!\s*(?:Bearer|Basic) \[redacted\]|\s*\[redacted\])[^\r\n"']+/gi, '$1$2[redacted]'],
  // Also prefixed names: DB_PASSWORD=…, app.secret: …, X-Api-Key: …, Password=…; in connection strings.
  [new RegExp(String.raw`\b(${SECRET_NAME}["']?\s*[=:]\s*["']?)[^\s"'&,;]+`, 'gi'), '$1[redacted]'],
];

/**
 * What any of PATTERNS needs to match, in one pass: `xox?-`, `Bearer`/`Basic` and a space, `//`,
 * a query parameter's `?name=`, or a secret-like name (header or setting) before `:` or `=`.
 * A string without any of these is left as it is by every pattern (each one's match contains
 * one of them), so the six passes are skipped: most chat and log text holds none.
 */
const SHAPE_HINT = /xox[abprs]-|(?:bearer|basic)\s|\/\/|[?&;][A-Za-z0-9_.-]+=|(?:authorization|cookie|password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?)["']?\s*[:=]/i;

/** Every secret shape of PATTERNS masked, the slow way: six regex passes. */
export function redactShapes(input: string): string {
  let out = input;
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

export const REDACTED = '[redacted]';

export class Redactor {
  private secrets: string[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    this.addSecrets(secrets);
  }

  addSecrets(secrets: Iterable<string | undefined>): void {
    for (const s of secrets) if (s && s.length >= 4 && !this.secrets.includes(s)) this.secrets.push(s);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  text(input: string): string {
    let out = input;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return SHAPE_HINT.test(out) ? redactShapes(out) : out;
  }

  /** Every text a reply shows or carries: title, footer, blocks (text, fields, tables, code, links) and buttons. */
  reply(r: Reply): Reply {
    const t = (s: string) => this.text(s);
    return {
      ...r,
      title: t(r.title),
      blocks: r.blocks.map((b) => this.block(b)),
      ...(r.buttons ? { buttons: r.buttons.map((b): ReplyButton => ({ ...b, label: t(b.label), ...(b.command !== undefined ? { command: t(b.command) } : {}), ...(b.url !== undefined ? { url: t(b.url) } : {}) })) } : {}),
      ...(r.footer !== undefined ? { footer: t(r.footer) } : {}),
    };
  }

  private block(b: ReplyBlock): ReplyBlock {
    const t = (s: string) => this.text(s);
    const title = (x: { title?: string }) => (x.title !== undefined ? { title: t(x.title) } : {});
    switch (b.type) {
      case 'text': return { ...b, text: t(b.text) };
      case 'fields': return { ...b, fields: b.fields.map((f) => ({ label: t(f.label), value: t(f.value) })) };
      case 'table': return { ...b, ...title(b), columns: b.columns.map(t), rows: b.rows.map((row) => row.map(t)) };
      case 'code': return { ...b, ...title(b), text: t(b.text) };
      case 'links': return { ...b, links: b.links.map((l) => ({ label: t(l.label), url: t(l.url) })) };
    }
  }

  /** Deep copy of a JSON-like value with every string redacted and secret-named keys masked. */
  value<T>(input: T): T {
    return this.walk(input, '') as T;
  }

  /** A copy of the error of the same class (so loggers still see a TypeError), message, stack and fields redacted. */
  private error(e: Error): Error {
    const copy = Object.create(Object.getPrototypeOf(e) as object) as Error;
    for (const [k, x] of Object.entries(e)) (copy as unknown as Record<string, unknown>)[k] = this.walk(x, k);
    Object.defineProperty(copy, 'message', { value: this.text(e.message), enumerable: false, writable: true, configurable: true });
    if (e.stack) Object.defineProperty(copy, 'stack', { value: this.text(e.stack), enumerable: false, writable: true, configurable: true });
    if (e.cause !== undefined) Object.defineProperty(copy, 'cause', { value: this.walk(e.cause, 'cause'), enumerable: false, writable: true, configurable: true });
    return copy;
  }

  private walk(v: unknown, key: string): unknown {
    if (typeof v === 'string') return SECRET_KEY.test(key) && v ? REDACTED : this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x, key));
    // An Error's message and stack are not enumerable: keep them (redacted) for the log line.
    if (v instanceof Error || Object.prototype.toString.call(v) === '[object Error]') return this.error(v as Error);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x, k)]));
    }
    return v;
  }
}

export const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|access[-_]?key|privatekey|private_key|credentials?|authorization|cookie)$/i;

/** Secret values from the environment: anything whose name says it is one. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v && /(TOKEN|SECRET|PASSWORD|_KEY)$/.test(k))
    .map(([, v]) => v as string);
}

/**
 * Alertmanager's API v2: create and expire silences. Knows nothing of chat; every call has a
 * timeout, and an unreachable Alertmanager is a clear `unavailable` error.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.js';

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface SilenceRequest {
  matchers: SilenceMatcher[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

const created = z.object({ silenceID: z.string().min(1) });

export class AlertmanagerClient {
  constructor(private readonly baseUrl: string, private readonly timeoutMs = 5000) {}

  get url(): string {
    return this.baseUrl;
  }

  /** Equality matchers for a set of labels. */
  static matchersFor(labels: Record<string, string>): SilenceMatcher[] {
    return Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
  }

  async createSilence(req: SilenceRequest): Promise<string> {
    if (req.matchers.length === 0) throw new UserError('invalid', 'A silence needs at least one label matcher');
    const body = JSON.stringify({ ...req, startsAt: req.startsAt.toISOString(), endsAt: req.endsAt.toISOString() });
    const res = await this.call('POST', '/api/v2/silences', body);
    const parsed = created.safeParse(res);
    if (!parsed.success) throw new UserError('failed', 'Alertmanager answered without a silence id');
    return parsed.data.silenceID;
  }

  async expireSilence(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  private async call(method: string, path: string, body?: string): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs}ms` : (err.cause?.code ?? err.message);
      throw new UserError('unavailable', `Alertmanager at ${url.origin} is unreachable (${why}); nothing was changed`);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new UserError(res.status >= 500 ? 'unavailable' : 'failed', `Alertmanager refused ${method} ${url.pathname}: HTTP ${res.status} ${text.slice(0, 200).trim()}`);
    }
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      return undefined;
    }
  }
}

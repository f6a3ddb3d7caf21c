/**
 * Alertmanager's API v2: list, create and expire silences. Knows nothing of chat; every call has a
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

/** A silence as Alertmanager reports it. */
export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
  /** `active`, `pending` (starts later) or `expired`. */
  state: string;
}

const silenceSchema = z.object({
  id: z.string().min(1),
  matchers: z.array(z.object({
    name: z.string(),
    value: z.string(),
    isRegex: z.boolean(),
    // Alertmanager before 0.22 has no isEqual: every matcher was an equality.
    isEqual: z.boolean().optional(),
  })),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string().default(''),
  status: z.object({ state: z.string() }),
});

function toSilence(raw: z.infer<typeof silenceSchema>): Silence {
  return {
    id: raw.id,
    matchers: raw.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex, isEqual: m.isEqual ?? true })),
    startsAt: new Date(raw.startsAt),
    endsAt: new Date(raw.endsAt),
    createdBy: raw.createdBy,
    comment: raw.comment,
    state: raw.status.state,
  };
}

/** A matcher as Alertmanager writes it: `name="value"`, `name!~"re"`. */
export function formatSilenceMatcher(m: SilenceMatcher): string {
  const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : (m.isEqual ? '=' : '!=');
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

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

  /** Every silence Alertmanager knows that has not expired (active and pending), soonest end first. */
  async listSilences(): Promise<Silence[]> {
    const res = await this.call('GET', '/api/v2/silences');
    const parsed = z.array(silenceSchema).safeParse(res);
    if (!parsed.success) throw new UserError('failed', 'Alertmanager answered GET /api/v2/silences with something that is not a list of silences');
    return parsed.data.map(toSilence).filter((s) => s.state !== 'expired').sort((a, b) => a.endsAt.getTime() - b.endsAt.getTime());
  }

  /** One silence by id (any state); `not_found` when Alertmanager has none. */
  async getSilence(id: string): Promise<Silence> {
    const res = await this.call('GET', `/api/v2/silence/${encodeURIComponent(id)}`, undefined, id);
    const parsed = silenceSchema.safeParse(res);
    if (!parsed.success) throw new UserError('failed', `Alertmanager answered GET /api/v2/silence/${id} with something that is not a silence`);
    return toSilence(parsed.data);
  }

  private async call(method: string, path: string, body?: string, silenceId?: string): Promise<unknown> {
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
    if (res.status === 404 && silenceId !== undefined) throw new UserError('not_found', `Alertmanager has no silence ${silenceId} (\`silences\` lists them)`);
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

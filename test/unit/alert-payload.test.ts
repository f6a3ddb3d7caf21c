/** The webhook payload schema (version 4): a valid payload, each invalid field, and the duplicate fingerprint. */
import { describe, expect, it } from '@jest/globals';
import { fieldPath, notificationHash, webhookPayloadSchema } from '../../src/core/alerts/payload.js';
import { payload, hosts } from '../support/alert-payloads.js';

const valid = () => JSON.parse(JSON.stringify(payload({ alerts: hosts(2) }))) as Record<string, unknown> & { alerts: Record<string, unknown>[] };

function firstField(body: unknown): string | undefined {
  const r = webhookPayloadSchema.safeParse(body);
  return r.success ? undefined : fieldPath(r.error.issues[0]?.path ?? []);
}

describe('webhook payload schema', () => {
  it('given a payload as Alertmanager sends it, with unknown extra fields, then it is accepted', () => {
    const body = { ...valid(), notification_reason: 'new', somethingNew: { x: 1 } };
    const r = webhookPayloadSchema.safeParse(body);
    expect(r.success).toBe(true);
  });

  it('given nanosecond timestamps and the zero end time, then they are accepted', () => {
    const body = valid();
    (body.alerts[0] as Record<string, unknown>).startsAt = '2026-11-24T09:00:00.123456789Z';
    (body.alerts[0] as Record<string, unknown>).endsAt = '0001-01-01T00:00:00Z';
    expect(webhookPayloadSchema.safeParse(body).success).toBe(true);
  });

  const cases: [string, (b: ReturnType<typeof valid>) => void, string][] = [
    ['version other than 4', (b) => { b.version = '3'; }, 'version'],
    ['missing groupKey', (b) => { delete b.groupKey; }, 'groupKey'],
    ['empty groupKey', (b) => { b.groupKey = ''; }, 'groupKey'],
    ['negative truncatedAlerts', (b) => { b.truncatedAlerts = -1; }, 'truncatedAlerts'],
    ['fractional truncatedAlerts', (b) => { b.truncatedAlerts = 1.5; }, 'truncatedAlerts'],
    ['unknown status', (b) => { b.status = 'pending'; }, 'status'],
    ['missing receiver', (b) => { delete b.receiver; }, 'receiver'],
    ['groupLabels not an object', (b) => { b.groupLabels = 'alertname=x'; }, 'groupLabels'],
    ['commonLabels with a number value', (b) => { b.commonLabels = { severity: 1 }; }, 'commonLabels.severity'],
    ['commonAnnotations with a null value', (b) => { b.commonAnnotations = { summary: null }; }, 'commonAnnotations.summary'],
    ['externalURL not a string', (b) => { b.externalURL = 42; }, 'externalURL'],
    ['alerts not an array', (b) => { (b as Record<string, unknown>).alerts = {}; }, 'alerts'],
    ['no alerts', (b) => { b.alerts = []; }, 'alerts'],
    ['alert status unknown', (b) => { (b.alerts[1] as Record<string, unknown>).status = 'ok'; }, 'alerts[1].status'],
    ['alert labels missing', (b) => { delete (b.alerts[0] as Record<string, unknown>).labels; }, 'alerts[0].labels'],
    ['alert label value not a string', (b) => { (b.alerts[0] as Record<string, unknown>).labels = { instance: ['a'] }; }, 'alerts[0].labels.instance'],
    ['alert annotation value not a string', (b) => { (b.alerts[0] as Record<string, unknown>).annotations = { summary: 3 }; }, 'alerts[0].annotations.summary'],
    ['alert startsAt not a time', (b) => { (b.alerts[0] as Record<string, unknown>).startsAt = 'yesterday'; }, 'alerts[0].startsAt'],
    ['alert endsAt not a time', (b) => { (b.alerts[1] as Record<string, unknown>).endsAt = 'never'; }, 'alerts[1].endsAt'],
    ['alert generatorURL not a string', (b) => { (b.alerts[0] as Record<string, unknown>).generatorURL = false; }, 'alerts[0].generatorURL'],
    ['alert fingerprint missing', (b) => { delete (b.alerts[1] as Record<string, unknown>).fingerprint; }, 'alerts[1].fingerprint'],
  ];
  it.each(cases)('given %s, then the error names %s', (_what, mutate, field) => {
    const body = valid();
    mutate(body);
    expect(firstField(body)).toBe(field);
  });

  it('given a body that is not an object, then the error names the body', () => {
    expect(firstField([1, 2])).toBe('(body)');
  });
});

describe('notification fingerprint (de-duplication)', () => {
  it('given the same notification from two HA peers at different times, then the hashes are equal', () => {
    const a = payload({ alerts: hosts(3) });
    const b = { ...payload({ alerts: hosts(3).reverse() }), notification_reason: 'repeat' } as typeof a;
    expect(notificationHash(a)).toBe(notificationHash(b));
  });

  it('given a firing alert whose endsAt moved on, then it is still the same notification', () => {
    const a = payload({ alerts: hosts(1) });
    const b = payload({ alerts: hosts(1, { endsAt: '2026-11-24T10:05:00Z' }) });
    expect(notificationHash(a)).toBe(notificationHash(b));
  });

  it('given a new alert, a resolved alert, a new start or truncation, then the notification differs', () => {
    const base = notificationHash(payload({ alerts: hosts(2) }));
    expect(notificationHash(payload({ alerts: hosts(3) }))).not.toBe(base);
    expect(notificationHash(payload({ alerts: [{ labels: { instance: 'host-0' } }, { labels: { instance: 'host-1' }, status: 'resolved' }] }))).not.toBe(base);
    expect(notificationHash(payload({ alerts: hosts(2, { startsAt: '2026-11-24T11:00:00Z' }) }))).not.toBe(base);
    expect(notificationHash(payload({ alerts: hosts(2), truncatedAlerts: 4 }))).not.toBe(base);
  });
});

describe('control characters in labels and annotations', () => {
  it('given NUL, ESC and a right-to-left override in labels and annotations, when the payload is parsed, then they are stripped and line breaks kept', () => {
    const p = payload({ alerts: hosts(1, { labels: { instance: 'web\u0000-1\u001b[31m', 'te\u202eam': 'ops' }, annotations: { summary: 'disk \u202efull\u2066', description: 'line one\nline two\u0007' } }) });
    const parsed = webhookPayloadSchema.parse(p);
    const a = parsed.alerts[0];
    expect(a?.labels.instance).toBe('web-1[31m');
    expect(a?.labels.team).toBe('ops');
    expect(a?.annotations.summary).toBe('disk full');
    expect(a?.annotations.description).toBe('line one\nline two');
  });
});

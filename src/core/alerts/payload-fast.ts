/**
 * The hot path of webhook validation: a hand-written check of the common case that accepts only
 * what `webhookPayloadSchema` (payload.ts, the reference) accepts and returns the same value
 * (defaults filled in, control characters stripped, unknown fields kept, same field order).
 * Anything it is not sure of (a wrong type, a bound, a `__proto__` key) is `undefined`: the
 * caller then runs the zod schema, which decides and words the error. A property test
 * (test/unit/alert-payload-fast.test.ts) checks the two agree on random and hostile payloads.
 * Expects a value from JSON.parse (plain objects and arrays, no undefined).
 */
import { stripControl, isTimestamp, WEBHOOK_LIMITS, type WebhookAlert, type WebhookPayload } from './payload.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStatus = (v: unknown): v is 'firing' | 'resolved' => v === 'firing' || v === 'resolved';
const isText = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;

const PAYLOAD_FIELDS = new Set(['version', 'groupKey', 'truncatedAlerts', 'status', 'receiver', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'alerts']);
const ALERT_FIELDS = new Set(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint']);

/** A label or annotation set, names and values cleaned; undefined when not sure. */
function labelSet(v: unknown): Record<string, string> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, string> = {};
  for (const k of Object.keys(v)) {
    const value = v[k];
    if (typeof value !== 'string' || k.length < 1 || k.length > WEBHOOK_LIMITS.nameLength) return undefined;
    const name = stripControl(k);
    if (name === '__proto__') return undefined;
    out[name] = stripControl(value);
  }
  return out;
}

/** Copies the fields the schema does not know (zod's loose objects keep them as they are); false when not sure. */
function copyUnknown(from: Obj, known: ReadonlySet<string>, to: Obj): boolean {
  for (const k of Object.keys(from)) {
    if (known.has(k)) continue;
    if (k === '__proto__') return false;
    to[k] = from[k];
  }
  return true;
}

function alertOf(v: unknown): WebhookAlert | undefined {
  if (!isObj(v)) return undefined;
  const { status, startsAt, endsAt, generatorURL, fingerprint } = v;
  if (!isStatus(status)) return undefined;
  const labels = labelSet(v.labels);
  if (!labels) return undefined;
  const annotations = v.annotations === undefined ? {} : labelSet(v.annotations);
  if (!annotations) return undefined;
  if (typeof startsAt !== 'string' || !isTimestamp(startsAt)) return undefined;
  if (endsAt !== undefined && (typeof endsAt !== 'string' || !isTimestamp(endsAt))) return undefined;
  if (generatorURL !== undefined && !isText(generatorURL, 0, WEBHOOK_LIMITS.urlLength)) return undefined;
  if (!isText(fingerprint, 1, WEBHOOK_LIMITS.fingerprintLength)) return undefined;
  const out: Obj = { status, labels, annotations, startsAt };
  if (endsAt !== undefined) out.endsAt = endsAt;
  out.generatorURL = generatorURL ?? '';
  out.fingerprint = fingerprint;
  return copyUnknown(v, ALERT_FIELDS, out) ? out as WebhookAlert : undefined;
}

/** The validated payload, as `webhookPayloadSchema.parse` would return it; undefined when not sure (run the schema). */
export function fastWebhookPayload(v: unknown): WebhookPayload | undefined {
  if (!isObj(v)) return undefined;
  const { version, groupKey, truncatedAlerts, status, receiver, externalURL, alerts } = v;
  if (version !== '4' || !isText(groupKey, 1, WEBHOOK_LIMITS.groupKeyLength) || !isStatus(status) || !isText(receiver, 0, WEBHOOK_LIMITS.receiverLength)) return undefined;
  if (truncatedAlerts !== undefined && !(Number.isSafeInteger(truncatedAlerts) && (truncatedAlerts as number) >= 0)) return undefined;
  const groupLabels = labelSet(v.groupLabels);
  const commonLabels = labelSet(v.commonLabels);
  const commonAnnotations = v.commonAnnotations === undefined ? {} : labelSet(v.commonAnnotations);
  if (!groupLabels || !commonLabels || !commonAnnotations) return undefined;
  if (externalURL !== undefined && !isText(externalURL, 0, WEBHOOK_LIMITS.urlLength)) return undefined;
  if (!Array.isArray(alerts) || alerts.length === 0) return undefined;
  const parsedAlerts: WebhookAlert[] = new Array<WebhookAlert>(alerts.length);
  for (let i = 0; i < alerts.length; i++) {
    const a = alertOf(alerts[i]);
    if (!a) return undefined;
    parsedAlerts[i] = a;
  }
  const out: Obj = {
    version, groupKey, truncatedAlerts: truncatedAlerts ?? 0, status, receiver, groupLabels, commonLabels, commonAnnotations,
    externalURL: externalURL ?? '', alerts: parsedAlerts,
  };
  return copyUnknown(v, PAYLOAD_FIELDS, out) ? out as WebhookPayload : undefined;
}

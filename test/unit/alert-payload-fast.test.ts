/**
 * The hand-written hot path of webhook validation against the zod schema (the reference): on
 * random, near-valid and hostile payloads, whatever the fast path accepts zod accepts with the
 * same value (and the same field order), and what zod accepts the fast path accepts too, so the
 * common case never pays for zod. Also the bounds walk against the walk it replaced.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { fastWebhookPayload } from '../../src/core/alerts/payload-fast.js';
import { stripControl, fieldPath, PAYLOAD_BOUNDS, payloadShapeProblem, webhookPayloadSchema, type PayloadBounds } from '../../src/core/alerts/payload.js';
import { hosts, payload } from '../support/alert-payloads.js';

/** What arrives: a value as JSON.parse returns it (own `__proto__` keys included). */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

/** Whether any key is `__proto__` or becomes it when cleaned (the one valid case the fast path leaves to zod). */
function hasProtoKey(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasProtoKey);
  return Object.keys(v).some((k) => stripControl(k) === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k]));
}

/** The fast path and zod agree on `input`; returns whether zod accepted it. */
function agree(input: unknown): boolean {
  const fast = fastWebhookPayload(input);
  const ref = webhookPayloadSchema.safeParse(input);
  if (fast !== undefined) {
    expect(ref.success).toBe(true);
    expect(isDeepStrictEqual(fast, ref.data)).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(ref.data));
  } else if (ref.success && !hasProtoKey(input)) {
    // Only a `__proto__` key (or one that becomes it) sends a valid payload to zod.
    throw new Error(`the fast path refused a payload zod accepts: ${JSON.stringify(input).slice(0, 500)}`);
  }
  return ref.success;
}

const CONTROL = ['\u0000', '\u0007', '\u000b', '\u001f', '\u007f', '\u0085', '\u009f', '\u061c', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\t', '\n', '\r'];
const withControl = fc.array(fc.oneof(fc.constantFrom(...CONTROL), fc.string({ maxLength: 3 }), fc.constantFrom('__proto__', 'constructor', 'é', '😀')), { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
const text = fc.oneof(
  { weight: 20, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 5, arbitrary: withControl },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', '__pro\u0000to__', 'constructor', 'toString', '0', '-1') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5000 }).map((n) => 'x'.repeat(n)) },
);
/** Label names: rarely empty or too long. */
const name = fc.oneof(
  { weight: 40, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 10, arbitrary: withControl },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', '__pro\u0000to__', 'constructor', 'toString', '0', '10', 'n'.repeat(1024), 'n'.repeat(1025)) },
);
const anything = fc.oneof(text, fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, 0, -0, 1.5, -1, 2 ** 53, 1e300, true, [], {}));
const labelSet = fc.oneof(
  { weight: 30, arbitrary: fc.dictionary(name, text, { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(name, anything, { maxKeys: 3 }) },
  { weight: 1, arbitrary: anything },
);
const time = fc.oneof(
  { weight: 10, arbitrary: fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  fc.constantFrom('0001-01-01T00:00:00Z', '2026-11-24T09:00:00.123456789Z', '2026-11-24T09:00:00+02:00', 'yesterday', '', '2026-13-45T99:00:00Z', 'Tue, 1 Dec 2026 10:00:00 GMT', '2026'),
  anything,
);
const status = fc.oneof({ weight: 30, arbitrary: fc.constantFrom('firing', 'resolved') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('Firing', 'pending', ''), anything) });

/** Usually `good`, now and then one of `bad`. */
const mostly = (good: fc.Arbitrary<unknown>, ...bad: unknown[]) => fc.oneof({ weight: 20, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...bad) });

/** A field: usually of the right kind, sometimes missing, sometimes anything. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 40, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anything }), { freq: 40, nil: undefined });
const extras = fc.option(fc.dictionary(fc.oneof(text, fc.constantFrom('notification_reason', '__proto__', 'status', 'alerts')), anything, { maxKeys: 2 }), { freq: 2, nil: {} });

const alert = fc.record({
  status: maybe(status),
  labels: maybe(labelSet),
  annotations: maybe(labelSet),
  startsAt: maybe(time),
  endsAt: maybe(time),
  generatorURL: maybe(mostly(text, 'x'.repeat(4000), 'x'.repeat(4001))),
  fingerprint: maybe(mostly(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 16 }), '', 'f'.repeat(128), 'f'.repeat(129))),
}).chain((a) => extras.map((x) => ({ ...x, ...a })));

const webhook = fc.record({
  version: maybe(mostly(fc.constant('4'), 4, '3', '')),
  groupKey: maybe(mostly(fc.string({ minLength: 1, maxLength: 40 }), '', 'g'.repeat(4000), 'g'.repeat(4001))),
  truncatedAlerts: maybe(mostly(fc.nat(), -1, 1.5, -0, 2 ** 53, 2 ** 53 - 1, '0')),
  status: maybe(status),
  receiver: maybe(mostly(text, 'r'.repeat(500), 'r'.repeat(501))),
  groupLabels: maybe(labelSet),
  commonLabels: maybe(labelSet),
  commonAnnotations: maybe(labelSet),
  externalURL: maybe(text),
  alerts: maybe(mostly(fc.array(alert, { minLength: 1, maxLength: 3 }), [])),
}).chain((p) => extras.map((x) => ({ ...x, ...p })));

/** The walk payloadShapeProblem replaced (one stack, a path per value), as the reference. */
function referenceShapeProblem(body: unknown, bounds: PayloadBounds): { field: string; message: string } | undefined {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: body, path: [] }];
  let values = 0;
  while (stack.length) {
    const { value, path } = stack.pop() as { value: unknown; path: PropertyKey[] };
    if (++values > bounds.maxValues) return { field: '(body)', message: `More than ${bounds.maxValues} values in the body` };
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= bounds.maxDepth) return { field: fieldPath(path.slice(0, 1)), message: `Nested deeper than ${bounds.maxDepth} levels` };
    if (Array.isArray(value)) {
      if (value.length > bounds.maxItems) return { field: fieldPath(path), message: `More than ${bounds.maxItems} entries` };
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > bounds.maxKeys) return { field: fieldPath(path), message: `More than ${bounds.maxKeys} fields` };
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i] as string], path: [...path, keys[i] as string] });
  }
  return undefined;
}

describe('fast webhook validation against the zod schema', () => {
  it('given webhooks as the bench and Alertmanager send them, then the fast path takes them and returns what zod returns', () => {
    for (let i = 0; i < 50; i++) {
      const p = viaJson({ ...payload({ alertname: `A${i}`, alerts: hosts(1 + (i % 5)), commonLabels: { team: `t${i}` } }), notification_reason: 'new' });
      expect(fastWebhookPayload(p)).toBeDefined();
      expect(agree(p)).toBe(true);
    }
  });

  it('given near-valid payloads (each field right, missing, hostile or anything), then the two agree on every one', () => {
    let accepted = 0;
    fc.assert(fc.property(webhook, (w) => {
      if (agree(viaJson(w))) accepted++;
    }), { numRuns: 3000 });
    expect(accepted).toBeGreaterThan(50); // the generator reaches valid payloads, not only errors
  });

  it('given arbitrary JSON values, then the two agree', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      agree(v);
    }), { numRuns: 1000 });
  });

  it('given labels with control characters, a __proto__ key and names that become one, then the values match zod (or zod decides)', () => {
    const base = payload({ alerts: hosts(1) }) as unknown as Record<string, unknown>;
    const cases = [
      { ...base, groupLabels: { 'a\u202eb': 'x\u0000y', ab: 'second' } },
      { ...base, commonLabels: JSON.parse('{"__proto__": "x", "a": "b"}') as unknown },
      { ...base, commonLabels: { '__pro\u0000to__': 'x' } },
      JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(base).slice(1)}`) as unknown,
      { ...base, commonAnnotations: { '\u0000': 'only control in the name' } },
    ];
    for (const c of cases) agree(c);
    expect(fastWebhookPayload(cases[0])?.groupLabels).toEqual({ ab: 'second' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the bounds walk against the walk it replaced', () => {
  const small = { ...PAYLOAD_BOUNDS, maxDepth: 4, maxKeys: 3, maxItems: 3, maxValues: 25 };
  it('given arbitrary JSON against small bounds, then the same first problem (field and message), or none', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 7 }), (v) => {
      expect(payloadShapeProblem(v, small)).toEqual(referenceShapeProblem(v, small));
    }), { numRuns: 3000 });
  });

  it('given a value nested 100,000 arrays deep, then the depth problem without a stack overflow', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(payloadShapeProblem({ extra: deep })).toEqual({ field: 'extra', message: `Nested deeper than ${PAYLOAD_BOUNDS.maxDepth} levels` });
  });
});

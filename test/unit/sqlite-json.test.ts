/**
 * The embedded store's document text: the encoder and decoder (walks, for speed) write and read
 * exactly what the reference replacer / reviver did, for any document.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeDoc, encodeDoc } from '../../src/core/store/sqlite/json.js';

const MARK = '\u0001';
const isDate = (v: unknown): v is Date => Object.prototype.toString.call(v) === '[object Date]';
/** The encoding as first written: JSON.stringify with a replacer. */
function referenceEncode(doc: unknown): string {
  return JSON.stringify(doc, function replacer(this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (isDate(original)) return Number.isNaN(original.getTime()) ? null : `${MARK}D${original.toISOString()}`;
    if (typeof value === 'string' && value.startsWith(MARK)) return MARK + value;
    return value;
  });
}
function referenceDecode(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v !== 'string' || !v.startsWith(MARK)) return v;
    if (v.startsWith(`${MARK}D`)) return new Date(v.slice(2));
    if (v.startsWith(MARK + MARK)) return v.slice(1);
    return v;
  });
}

const marked = fc.oneof(fc.string(), fc.string().map((s) => MARK + s), fc.string().map((s) => `${MARK}D${s}`), fc.string().map((s) => MARK + MARK + s));
const leaf = fc.oneof(marked, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: false }));
const doc = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), tie('value'), { maxKeys: 4 })),
})).value;

describe('SQLite document text', () => {
  it('given any document (dates, marked strings, undefined, __proto__ keys, nesting), then it encodes to the reference text', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), doc), (d) => {
      expect(encodeDoc(d)).toBe(referenceEncode(d));
    }), { numRuns: 500 });
  });

  it('given any encoded document, then it decodes to what the reference reviver gives', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), doc), (d) => {
      const text = referenceEncode(d);
      expect(decodeDoc(text)).toEqual(referenceDecode(text));
    }), { numRuns: 500 });
  });

  it('given an object with toJSON inside a document, then its result is encoded like any value', () => {
    const d = { a: { toJSON: () => `${MARK}x` }, b: [new Date(0), { toJSON: () => ({ c: new Date(1) }) }] };
    expect(encodeDoc(d)).toBe(referenceEncode(d));
  });
});

/**
 * Fuzzing the config loader: any YAML text gives either a Config or a ConfigError whose problems
 * each name where they are (a key path, `(root)`, or the YAML syntax error); nothing else escapes.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, parseConfigText } from '../../src/config/load.js';

const RUNS = { numRuns: 150 };
const ENV = { API_TOKEN: 'secret-value-123' };

const TOP_KEYS = ['bot', 'targets', 'rbac', 'people', 'alerting', 'slack', 'jobs', 'runbooks', 'approvals', 'retention', 'hosts'] as const;

/** Values with the shapes config files have, and the wrong ones. */
const leaf = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('${API_TOKEN}', '${UNSET_VAR}', '${X:-d}', '1s', '30d', '*', 'slack:U1', 'http://x', '@here', '<!here>'));
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', maxDepth: 5 }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('name', 'channels', 'roles', 'allow', 'deny', 'health', 'http', 'url', 'matchers', 'rate', 'defaultChannel', 'subjects', 'environment', 'steps')), tie('node'), { maxKeys: 4 })),
})).node;
const configLike = fc.dictionary(fc.constantFrom(...TOP_KEYS), tree, { maxKeys: 4 });

function judge(text: string): void {
  let problems: string[];
  try {
    const config = parseConfigText(text, 'fuzz.yaml', ENV);
    expect(typeof config).toBe('object');
    return;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems = e.problems;
    expect(e.message).toContain('fuzz.yaml');
  }
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    // `alerting.routes[0].channels: …`, `(root): …`, `["odd key"]: …`, `YAML: …`, or an env-variable problem naming its key.
    expect(p).toMatch(/^(YAML: |\(root\)|[A-Za-z_[]|.*\$\{?[A-Z_]+)/);
    expect(p).not.toContain('secret-value-123');
  }
}

describe('config loader under arbitrary YAML', () => {
  it('given arbitrary text, when loaded, then a Config or a ConfigError, never another exception', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.array(fc.constantFrom('a:', ' ', '\n', '- ', '{', '}', '[', ']', '&x', '*x', '!!str', '"', "'", '|', '>', '#', ':', '${A}', '<<: *x', '\t'), { maxLength: 40 }).map((a) => a.join(''))), (text) => {
      judge(text);
    }), RUNS);
  });

  it('given config-shaped trees with wrong types, when loaded, then every problem names its key path', () => {
    fc.assert(fc.property(configLike, (doc) => {
      judge(stringify(doc));
    }), RUNS);
  });

  it('given a known section with a value of the wrong type, when loaded, then a problem names that section', () => {
    fc.assert(fc.property(fc.constantFrom(...TOP_KEYS), fc.oneof(fc.integer(), fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/^\s*$/.test(s) && !/^[~#]|^null$/i.test(s.trim())), fc.boolean()), (key, value) => {
      try {
        parseConfigText(stringify({ [key]: value }), 'fuzz.yaml', ENV);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        expect(e.problems.some((p) => p.startsWith(key))).toBe(true);
        return;
      }
      throw new Error(`${key}: ${JSON.stringify(value)} was accepted`);
    }), RUNS);
  });

  it('given deeply nested YAML (anchors and aliases too), when loaded, then a ConfigError, not a stack overflow', () => {
    fc.assert(fc.property(fc.integer({ min: 50, max: 3000 }), fc.constantFrom('[', '{a: '), (depth, open) => {
      const close = open === '[' ? ']' : '}';
      judge(`targets: ${open.repeat(depth)}1${close.repeat(depth)}`);
    }), { numRuns: 10 });
    judge('a: &a [*a, *a]\nbot: *a\n');
    judge(`x0: &x0 [1,1,1,1,1,1,1,1,1,1]\n${Array.from({ length: 12 }, (_, i) => `x${i + 1}: &x${i + 1} [${Array(10).fill(`*x${i}`).join(',')}]`).join('\n')}\nbot: *x12\n`);
  });
});

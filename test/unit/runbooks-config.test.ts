/** The `runbooks:` config: errors with their key paths, and the shipped examples' playbooks run only commands that exist. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/config/load.js';
import { startTestBot } from '../support/bot.js';

const parse = (yaml: string) => parseConfigText(yaml, 'test.yaml', {});
const problems = (yaml: string): string => {
  try {
    parse(yaml);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('runbooks config', () => {
  it('given a placeholder that is no param, then the error names the step', () => {
    expect(problems('runbooks:\n  a:\n    steps:\n      - run: "health {{target}}"\n')).toMatch(/runbooks\.a\.steps\[0\]\.run.*\{\{target\}\} is neither a param/);
  });

  it('given a watch without every, a run with every, both run and watch, or a reserved name, then each is an error', () => {
    expect(problems('runbooks:\n  a:\n    steps:\n      - watch: "health web"\n        for: 1m\n')).toMatch(/steps\[0\]\.every.*needs every/);
    expect(problems('runbooks:\n  a:\n    steps:\n      - run: "health web"\n        every: 1m\n')).toMatch(/every belongs to a watch step/);
    expect(problems('runbooks:\n  a:\n    steps:\n      - run: "health web"\n        watch: "health web"\n')).toMatch(/exactly one of run or watch/);
    expect(problems('runbooks:\n  list:\n    steps:\n      - run: "health web"\n')).toMatch(/runbooks\.list.*subcommand of runbook/);
  });

  it('given a route naming an unknown runbook, or autoRun without one, then the error has the route key path', () => {
    expect(problems('alerting:\n  routes:\n    - { channels: [console:a], runbook: nope }\n')).toMatch(/alerting\.routes\[0\]\.runbook.*Unknown runbook "nope"/);
    expect(problems('alerting:\n  routes:\n    - { channels: [console:a], autoRun: true }\n')).toMatch(/alerting\.routes\[0\]\.autoRun/);
    expect(problems('alerting:\n  routes:\n    - { channels: [console:a], runbook: "https://wiki/x" }\n')).toBe('');
  });

  it('given a step naming an unknown command, or autoRun of a runbook that restarts before any approval, then start-up stops with the key path', async () => {
    await expect(startTestBot({ yaml: 'runbooks:\n  a:\n    steps:\n      - run: "frobnicate web"\n', http: false })).rejects.toThrow(/runbooks\.a\.steps\[0\]\.run: unknown command/);
    const yaml = 'targets: { web: {} }\nrunbooks:\n  r:\n    params: [target]\n    steps:\n      - run: "restart {{target}}"\nalerting:\n  routes:\n    - { channels: [console:a], runbook: r, autoRun: true }\n';
    await expect(startTestBot({ yaml, http: false })).rejects.toThrow(/alerting\.routes\[0\]\.autoRun: runbook r cannot run by itself: step 1 .* is dangerous/);
  });

  it.each(['nordlayer', 'linguamate', 'pixelforge', 'ferritedb'])('given config/examples/%s.yaml, then the bot starts (every step names a command) and shows each runbook', async (name) => {
    const yaml = readFileSync(`config/examples/${name}.yaml`, 'utf8');
    const tb = await startTestBot({ yaml, http: false });
    try {
      const list = await tb.bot.router.handle({ subject: tb.bot.consoleSubject, surface: 'console', line: 'runbook list' });
      expect(list.outcome).toBe('ok');
      for (const rb of tb.bot.runbooks.names()) {
        const r = await tb.bot.router.handle({ subject: tb.bot.consoleSubject, surface: 'console', line: `runbook show ${rb}` });
        expect(r.outcome).toBe('ok');
      }
      expect(tb.bot.runbooks.names().length).toBeGreaterThan(0);
    } finally {
      await tb.stop();
    }
  });
});

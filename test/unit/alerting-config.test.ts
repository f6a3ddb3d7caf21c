/** The `alerting:` section: the README example parses, defaults, and bad values name their key. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseConfigText, ConfigError } from '../../src/config/load.js';

describe('alerting config', () => {
  it('given the README example, then it parses with every key', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Alertmanager'));
    const yaml = /```yaml\n(alerting:[\s\S]*?)```/.exec(section)?.[1] as string;
    expect(yaml).toBeDefined();
    const cfg = parseConfigText(yaml, 'README.md', { ALERTMANAGER_URL: 'http://am:9093', WEBHOOK_TOKEN: 'tok-12345' });
    expect(cfg.alerting).toMatchObject({
      defaultChannel: 'console:alerts',
      alertmanagerUrl: 'http://am:9093',
      webhookToken: 'tok-12345',
      bodyLimit: 1024 * 1024,
      rate: { messages: 1, per: 1000 },
      storm: { threshold: 10, window: 60_000, digestMaxGroups: 40, releaseOpenGroups: true },
      silenceButton: 3_600_000,
    });
    expect(cfg.alerting.routes.map((r) => [r.name, r.continue])).toEqual([['page', true], ['databases', false]]);
  });

  it('given no alerting section, then alerts go to the console', () => {
    expect(parseConfigText('bot: {}', 't.yaml', {}).alerting.defaultChannel).toBe('console:alerts');
  });

  it('given a literal webhook token, a bad size and a bad rate, then each problem names its key', () => {
    try {
      parseConfigText('alerting:\n  webhookToken: hunter2\n  bodyLimit: 1 zillion\n  rate: { messages: 0 }\n', 't.yaml', {});
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toContain('alerting.webhookToken: secrets must come from the environment');
      expect(problems).toContain('alerting.bodyLimit: Invalid size "1 zillion"');
      expect(problems).toContain('alerting.rate.messages');
    }
  });
});

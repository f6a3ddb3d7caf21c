/** Defaults that are safe before anyone configures anything. */
import { describe, expect, it } from '@jest/globals';
import { envSchema } from '../../src/config/env.js';
import { parseConfigText } from '../../src/config/load.js';

describe('safe defaults', () => {
  it('given no HOST, then the bot listens on loopback only', () => {
    expect(envSchema.parse({}).HOST).toBe('127.0.0.1');
  });

  it('given no alerting config, then unauthenticated webhooks are not allowed', () => {
    expect(parseConfigText('bot: {}', 't.yaml', {}).alerting.allowUnauthenticated).toBe(false);
  });
});

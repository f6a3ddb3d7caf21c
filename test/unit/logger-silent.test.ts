/**
 * A silent logger (the offline bot every config reload and `validate-config` builds to check
 * command names) holds nothing open: on a terminal, a pino-pretty worker thread per reload
 * would pile up in a long-running bot.
 */
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';

const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

describe('createLogger at level silent', () => {
  it('given a terminal (pretty) and level silent, when loggers are made, then no worker thread is started for them', async () => {
    const before = ports();
    const logs = Array.from({ length: 3 }, () => createLogger({ level: 'silent', redactor: new Redactor([]), pretty: true }));
    logs.forEach((l) => l.info('not written'));
    expect(ports()).toBe(before);
  });
});

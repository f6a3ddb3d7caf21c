/**
 * Test support for integration tests against real servers started on loopback.
 * A test whose server binary is missing is skipped with an install hint — except in CI
 * (`CI=true` or `OPSBOT_REQUIRE_SERVERS=1`), where the skip becomes a failure.
 */
import { describe, it } from '@jest/globals';
import { INSTALL_HINT, REQUIRE_SERVERS, which } from './host.js';

export * from './host.js';

/** `describe` that needs server binaries: runs, skips with a hint, or (in CI) fails when they are missing. */
export function describeWithServers(binaries: string[], title: string, fn: () => void): void {
  const missing = binaries.filter((b) => !which(b));
  if (missing.length === 0) {
    describe(title, fn);
    return;
  }
  const hint = `${missing.join(', ')} not installed: ${INSTALL_HINT}`;
  if (REQUIRE_SERVERS) {
    describe(title, () => {
      it('has the servers it needs', () => {
        throw new Error(`${hint}. CI requires every integration server; nothing may be skipped.`);
      });
    });
    return;
  }
  process.stderr.write(`[skip] ${title}: ${hint}\n`);
  describe.skip(title, fn);
}


/**
 * `describe` for suites that only run when asked (`<envVar>=1`), such as booting systemd in a
 * container (slow, needs root and Debian's mirror): skipped with the reason otherwise, also in CI.
 * When asked, the binaries are required as in describeWithServers.
 */
export function describeOptIn(envVar: string, binaries: string[], title: string, fn: () => void): void {
  if (process.env[envVar] === '1') {
    describeWithServers(binaries, title, fn);
    return;
  }
  process.stderr.write(`[skip] ${title}: set ${envVar}=1 to run it\n`);
  describe.skip(title, fn);
}

/**
 * `describe` for suites against a server this machine's package sources do not have (MongoDB:
 * none in Debian), run when its URL is given (`MONGODB_URL=mongodb://…`): skipped with the
 * reason otherwise, also in CI. The failure paths of the same code run against a closed port.
 */
export function describeWithUrl(envVar: string, title: string, fn: () => void): void {
  if (process.env[envVar]) {
    describe(title, fn);
    return;
  }
  process.stderr.write(`[skip] ${title}: set ${envVar} to run it\n`);
  describe.skip(title, fn);
}

/** `it` that needs a binary: runs, skips with a hint, or (in CI) fails when it is missing. */
export function itWithBinary(binary: string, title: string, fn: () => Promise<void>, timeoutMs?: number): void {
  if (which(binary)) {
    it(title, fn, timeoutMs);
    return;
  }
  if (REQUIRE_SERVERS) {
    it(title, () => { throw new Error(`${binary} not installed: ${INSTALL_HINT}. CI requires it.`); });
    return;
  }
  process.stderr.write(`[skip] ${title}: ${binary} not installed\n`);
  it.skip(title, fn);
}

/**
 * A CommonJS dependency loaded on its first use. The database, Redis, Docker, SSH and SMTP
 * drivers cost megabytes of memory and milliseconds of start each, and most bots use few of
 * them: a module that needs one names it here and its process loads it only if it runs.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function lazyRequire<T>(name: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= load(name) as T);
}

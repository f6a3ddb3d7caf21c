/** From a job's `offsite:` config to its store, with the credentials read from the environment variables it names. */
import type { BackupJob } from '../../../config/backup-schema.js';
import { UserError } from '../../../core/errors.js';
import { S3OffsiteStore } from './s3.js';
import type { OffsiteStore } from './types.js';

/** The store of a job with an `offsite` section (one client per job, made on first use). */
export type OffsiteStores = (job: BackupJob) => OffsiteStore;

export function offsiteStores(env: Record<string, string | undefined>): OffsiteStores {
  const made = new WeakMap<object, OffsiteStore>();
  return (job) => {
    const cfg = job.offsite;
    if (!cfg) throw new UserError('invalid', `backup job ${job.name} has no offsite section`);
    const known = made.get(cfg);
    if (known) return known;
    const read = (name: string, key: string): string => {
      const v = env[name];
      if (!v) throw new UserError('unavailable', `the environment variable ${name} (offsite.${key} of backup job ${job.name}) is not set; nothing was copied off-site`);
      return v;
    };
    const store = new S3OffsiteStore(cfg, {
      accessKeyId: read(cfg.accessKeyIdEnv, 'accessKeyIdEnv'),
      secretAccessKey: read(cfg.secretAccessKeyEnv, 'secretAccessKeyEnv'),
      ...(cfg.sessionTokenEnv ? { sessionToken: read(cfg.sessionTokenEnv, 'sessionTokenEnv') } : {}),
    });
    made.set(cfg, store);
    return store;
  };
}

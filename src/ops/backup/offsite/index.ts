/** Off-site copies of backups in S3-compatible storage (README "Off-site copies"). */
export { copyOffsite, fetchOffsite, hasOffsite, offsiteRetention, type OffsiteDeps, type OffsiteStep } from './copies.js';
export { offsiteStores, type OffsiteStores } from './open.js';
export { S3OffsiteStore, type S3Credentials } from './s3.js';
export type { OffsiteCopy, OffsiteStore, StoredObject } from './types.js';

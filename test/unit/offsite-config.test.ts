/** `backups[].offsite` config: names of credential variables, bucket and prefix rules, errors with their key path. */
import { describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';

const job = (offsite: string) => `targets:\n  app:\n    backups:\n      - { kind: sqlite, source: /d/app.db, destination: /b, offsite: ${offsite} }\n`;
const parse = (yaml: string) => parseConfigText(yaml, 't.yaml', {});

describe('backups[].offsite', () => {
  it('given a valid section, then the prefix ends in "/" and path style follows the endpoint', () => {
    const cfg = parse(job('{ endpoint: "http://127.0.0.1:9000", bucket: backups, prefix: prod/app, accessKeyIdEnv: K, secretAccessKeyEnv: S }'));
    expect(cfg.targets.app?.backups[0]?.offsite).toMatchObject({ bucket: 'backups', prefix: 'prod/app/', region: 'us-east-1', readBack: false });
  });

  it('given the keys themselves instead of variable names, then it is an error at the key', () => {
    expect(() => parse(job('{ bucket: backups, accessKeyIdEnv: "AKIA/1234+x", secretAccessKeyEnv: S }'))).toThrow(/targets\.app\.backups\[0\]\.offsite\.accessKeyIdEnv: An environment variable name/);
    expect(() => parse(job('{ bucket: backups, accessKeyId: AKIA, secretAccessKeyEnv: S, accessKeyIdEnv: K }'))).toThrow(/Unrecognized key: "accessKeyId"/);
  });

  it('given a bad bucket, a climbing prefix or kmsKeyId without aws:kms, then each is an error', () => {
    expect(() => parse(job('{ bucket: Backups_1, accessKeyIdEnv: K, secretAccessKeyEnv: S }'))).toThrow(/offsite\.bucket: An S3 bucket name/);
    expect(() => parse(job('{ bucket: backups, prefix: "../other", accessKeyIdEnv: K, secretAccessKeyEnv: S }'))).toThrow(/offsite\.prefix: A key prefix/);
    expect(() => parse(job('{ bucket: backups, sse: AES256, kmsKeyId: k1, accessKeyIdEnv: K, secretAccessKeyEnv: S }'))).toThrow(/offsite\.kmsKeyId: kmsKeyId needs sse: aws:kms/);
  });
});

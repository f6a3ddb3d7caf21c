/**
 * A real S3 protocol server on loopback: the npm `s3rver` (a dev dependency; pure JavaScript,
 * runs on Node 20), storing objects in a temp dir, with the buckets given. Its one account is
 * S3RVER / S3RVER; note that s3rver checks the access key id but does not verify SigV4
 * signatures, so a wrong secret with the right key id is accepted by it.
 */
import S3rver from 's3rver';
import { S3Client } from '@aws-sdk/client-s3';
import { tmpDir } from './host.js';

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A client of the server, to look at or tamper with what the bot stored. */
  client: S3Client;
  stop(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Server> {
  const { dir, cleanup } = await tmpDir('opsbot-s3-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', client,
    async stop() {
      client.destroy();
      await server.close();
      await cleanup();
    },
  };
}

import { describe, expect, it } from '@jest/globals';
import { userDirectorySchema } from '../../src/config/users-schema.js';
import { UserDirectories } from '../../src/ops/users/open.js';
import { freePort, describeWithUrl } from '../support/servers.js';
import { EmbeddedStore } from '../../src/core/store/embedded.js';
import { MongoStore } from '../../src/core/store/mongo.js';
import type { Collection, Doc } from '../../src/core/store/types.js';
import { MongoUserBackend } from '../../src/ops/users/mongo-backend.js';
import { seedDocuments, userDirectoryContract, type Fixture } from '../support/user-directory-contract.js';

async function fixtureOver(collection: Collection<Doc>, fields: string[], cleanup: () => Promise<void>): Promise<Fixture> {
  for (const d of seedDocuments()) await collection.insertOne(d as Doc);
  return {
    backend: new MongoUserBackend(collection.name, fields, async () => ({ collection, close: async () => undefined })),
    read: async (id) => (await collection.findOne({ id })) as Record<string, unknown> | undefined ?? undefined,
    count: () => collection.countDocuments({}),
    cleanup,
  };
}

describe('user directory over the embedded engine (MongoDB collection interface)', () => {
  userDirectoryContract(async (fields) => {
    const store = await EmbeddedStore.open(null);
    return fixtureOver(store.collection('users'), fields, () => store.close());
  });
});

const MONGODB_URL = process.env.MONGODB_URL;
describeWithUrl('MONGODB_URL', 'user directory over a real MongoDB (MONGODB_URL)', () => {
  userDirectoryContract(async (fields) => {
    const store = await MongoStore.connect(MONGODB_URL as string);
    const name = `opsbot_users_test_${process.pid}_${Date.now()}`;
    const collection = store.collection(name);
    return fixtureOver(collection, fields, async () => {
      await collection.deleteMany({});
      await store.close();
    });
  });
});

describe('user directory on MongoDB: failure paths with the real driver', () => {
  it('given nothing listening, then the command fails as unavailable within the directory timeout, without the password', async () => {
    const port = await freePort();
    const cfg = userDirectorySchema.parse({
      mongodb: { url: `mongodb://app:Hidden-Pa55@127.0.0.1:${port}/pixelforge?directConnection=true`, collection: 'users' },
      lookup: 'email', unlock: { set: { loginAttempts: 0 } }, timeout: '800ms',
    });
    const dirs = UserDirectories.fromConfig({ pixelforge: { environment: 'production', health: [], backups: [], users: cfg } });
    const started = Date.now();
    const err = await dirs.get('pixelforge')?.apply('unlock', 'alice@example.com').catch((e: unknown) => e) as { code?: string; message?: string };
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toMatch(/unavailable|timeout/);
    expect(err.message).toContain('pixelforge');
    expect(err.message).not.toContain('Hidden-Pa55');
    // A second call retries the connection instead of reusing a failed one.
    const again = await dirs.get('pixelforge')?.listLocked().catch((e: unknown) => e) as { code?: string };
    expect(again.code).toBe('invalid'); // no locked rule: refused before any connection
    await dirs.close();
  });
});

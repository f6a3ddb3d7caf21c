import { describe } from '@jest/globals';
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
(MONGODB_URL ? describe : describe.skip)('user directory over a real MongoDB (MONGODB_URL)', () => {
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

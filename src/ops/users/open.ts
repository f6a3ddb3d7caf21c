/** Builds each target's user directory from config: MongoDB through the real driver, PostgreSQL or SQLite. */
import type { Config } from '../../config/schema.js';
import type { UserDirectoryConfig } from '../../config/users-schema.js';
import { MongoStore } from '../../core/store/mongo.js';
import { scrubberFor } from '../connection-url.js';
import { UserDirectory, directoryFields } from './directory.js';
import { MongoUserBackend } from './mongo-backend.js';
import { PostgresUserBackend } from './postgres-backend.js';
import { SqliteUserBackend } from './sqlite-backend.js';
import type { UserBackend } from './types.js';

export function backendFor(cfg: UserDirectoryConfig): UserBackend {
  const fields = directoryFields(cfg);
  if (cfg.mongodb) {
    const { url, collection } = cfg.mongodb;
    return new MongoUserBackend(collection, fields, async () => {
      const store = await MongoStore.connect(url, { serverSelectionTimeoutMS: cfg.timeout });
      return { collection: store.collection(collection), close: () => store.close() };
    });
  }
  const sql = cfg.sql as NonNullable<UserDirectoryConfig['sql']>;
  return sql.url
    ? new PostgresUserBackend(sql.url, sql.table, sql.key, fields, cfg.timeout)
    : new SqliteUserBackend(sql.path as string, sql.table, sql.key, fields, cfg.timeout);
}

export class UserDirectories {
  constructor(private readonly byTarget: Map<string, UserDirectory>) {}

  static fromConfig(targets: Config['targets']): UserDirectories {
    const map = new Map<string, UserDirectory>();
    for (const [name, t] of Object.entries(targets)) {
      if (!t.users) continue;
      map.set(name, new UserDirectory(name, t.users, backendFor(t.users), scrubberFor(t.users.mongodb?.url, t.users.sql?.url)));
    }
    return new UserDirectories(map);
  }

  get(target: string): UserDirectory | undefined {
    return this.byTarget.get(target);
  }

  targets(): string[] {
    return [...this.byTarget.keys()];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.byTarget.values()].map((d) => d.close()));
  }
}

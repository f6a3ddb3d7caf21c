/**
 * MongoDB backups. No MongoDB server is packaged here: the engine runs against the embedded
 * store's collection interface (same shape), and the dump is checked byte for byte — BSON files
 * parse back to the same documents, metadata is valid Extended JSON, the tar has mongodump's
 * layout. The real driver is used for the failure paths (closed port, a server that never
 * answers) and, when MONGODB_URL is set, for a full round trip.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { BSON, MongoClient } from 'mongodb';
import { parseConfigText } from '../../src/config/load.js';
import { MemoryCoordination } from '../../src/core/coordination/memory.js';
import { UserError } from '../../src/core/errors.js';
import { EmbeddedStore, type Store } from '../../src/core/store/index.js';
import { BackupCatalog } from '../../src/ops/backup/catalog.js';
import { createEngines } from '../../src/ops/backup/engines.js';
import { driverConnector } from '../../src/ops/backup/mongo-driver.js';
import { readDumpDir, storeDumpSource, writeDump } from '../../src/ops/backup/mongo-dump.js';
import { BackupService } from '../../src/ops/backup/service/index.js';
import type { BackupRecord } from '../../src/ops/backup/types.js';
import { freePort, tmpDir, describeWithUrl } from '../support/servers.js';
import { storeConnector, type StoreConnector } from '../support/mongo-store.js';

const run = promisify(execFile);

const USERS = [
  { _id: 'u1', email: 'ada@example.com', loginAttempts: 0, accountLocked: false, lockUntil: null, createdAt: new Date('2026-01-02T03:04:05.678Z'), roles: ['admin', 'dev'] },
  { _id: 'u2', email: 'grace@example.com', loginAttempts: 7, accountLocked: true, lockUntil: new Date('2026-11-24T10:00:00Z'), profile: { lang: 'en', tz: 'UTC', nested: { deep: [1, 2.5, 'x'] } } },
  { _id: 'u3', email: 'linus@example.com', loginAttempts: 2, accountLocked: false, lockUntil: null, note: 'ünïcødé ✓ "quotes" \\ back' },
];
const PROJECTS = Array.from({ length: 250 }, (_, i) => ({ _id: `p${String(i).padStart(4, '0')}`, owner: `u${(i % 3) + 1}`, name: `project ${i}`, size: i * 1.5 }));

async function seed(store: Store): Promise<void> {
  for (const u of USERS) await store.collection('users').insertOne(u);
  for (const p of PROJECTS) await store.collection('projects').insertOne(p);
}

function serviceFor(yaml: string, connector: StoreConnector['connect'], store: Store): BackupService {
  const config = parseConfigText(yaml, 'test.yaml', {});
  return new BackupService({
    jobs: Object.fromEntries(Object.entries(config.targets).map(([n, t]) => [n, t.backups])),
    catalog: BackupCatalog.of(store),
    coordination: new MemoryCoordination(),
    engines: createEngines({ mongoConnector: connector }),
  });
}

describe('backup: mongodb dump format (through the store collection interface)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => { tmp = await tmpDir('opsbot-bk-mongo-'); });
  afterAll(async () => { await tmp?.cleanup(); });

  it('given collections, when dumped, then each .bson parses back to the same documents and metadata is valid Extended JSON', async () => {
    const store = await EmbeddedStore.open(null);
    await seed(store);
    const out = path.join(tmp.dir, 'layout');
    const figures = await writeDump(storeDumpSource(store, 'pixelforge', ['users', 'projects']), out);
    expect(figures).toMatchObject({ collections: 2, documents: USERS.length + PROJECTS.length });
    expect((await readdir(path.join(out, 'pixelforge'))).sort()).toEqual(['projects.bson', 'projects.metadata.json', 'users.bson', 'users.metadata.json']);

    // Read the raw file ourselves: int32 length + document, back to back.
    const raw = await readFile(path.join(out, 'pixelforge', 'users.bson'));
    const docs: BSON.Document[] = [];
    for (let pos = 0; pos < raw.length;) {
      const len = raw.readInt32LE(pos);
      docs.push(BSON.deserialize(raw.subarray(pos, pos + len)));
      pos += len;
    }
    expect(docs).toEqual([...USERS].sort((a, b) => a._id.localeCompare(b._id)));

    const meta = JSON.parse(await readFile(path.join(out, 'pixelforge', 'users.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ collectionName: 'users', type: 'collection', options: {} });
    expect(BSON.EJSON.deserialize(meta.indexes as BSON.Document)).toEqual([{ v: 2, key: { _id: 1 }, name: '_id_' }]);

    // The reader used by restore agrees.
    const back = await readDumpDir(path.join(out, 'pixelforge'));
    expect(back.map((c) => c.info.name)).toEqual(['projects', 'users']);
    let n = 0;
    for await (const _ of back[0]!.documents()) n += 1;
    expect(n).toBe(PROJECTS.length);
  });

  describe('through the backup service', () => {
    let conn: StoreConnector;
    let store: Store;
    let svc: BackupService;
    const dest = () => path.join(tmp.dir, 'backups');

    beforeAll(async () => {
      conn = storeConnector();
      await seed(await conn.db('pixelforge'));
      conn.collections.pixelforge = ['users', 'projects'];
      store = await EmbeddedStore.open(null);
      svc = serviceFor(`
targets:
  pixelforge:
    backups:
      - name: mongo
        kind: mongodb
        source: mongodb://backup:\${X:-pw}@db.internal:27017/pixelforge
        restoreTo: mongodb://backup@db.internal:27017/pixelforge-test
        destination: ${dest()}
        retention: { keepLast: 1 }
`, conn.connect, store);
    });

    let first: BackupRecord;

    it('when backup run, then a verified tar.gz in mongodump layout is recorded', async () => {
      const [r] = await svc.run('pixelforge');
      expect(r!.ok).toBe(true);
      first = r!.record;
      expect(first).toMatchObject({ kind: 'mongodb', verified: true, figures: { collections: 2, documents: USERS.length + PROJECTS.length } });
      expect(r!.verify!.steps.map((s) => s.name)).toEqual(['checksum', 'gzip', 'restore test']);
      expect(r!.verify!.steps[2]!.detail).toContain(`${USERS.length + PROJECTS.length} documents in 2 collections`);
      // `tar -tzf` sees what mongorestore expects after extraction.
      const { stdout } = await run('tar', ['-tzf', first.path]);
      expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['pixelforge/', 'pixelforge/projects.bson', 'pixelforge/projects.metadata.json', 'pixelforge/users.bson', 'pixelforge/users.metadata.json']);
      expect(conn.calls[0]).toEqual({ url: 'mongodb://backup:pw@db.internal:27017/pixelforge', database: 'pixelforge' });
    });

    it('when restored, then the restore database holds the same documents and a safety copy was taken', async () => {
      const target = await conn.db('pixelforge-test');
      await target.collection<{ _id: string; email: string }>('users').insertOne({ _id: 'stale', email: 'old@example.com' });
      conn.collections['pixelforge-test'] = ['users'];
      const r = await svc.restore('pixelforge', first._id);
      expect(r.detail).toBe('replaced 2 collections (253 documents) in db.internal:27017/pixelforge-test');
      expect(r.safety?.figures).toMatchObject({ collections: 1, documents: 1 });
      const users = await target.collection('users').find({}, { sort: { _id: 1 } });
      expect(users).toEqual([...USERS].sort((a, b) => a._id.localeCompare(b._id)));
      expect(await target.collection('projects').countDocuments()).toBe(PROJECTS.length);
    });

    it('given a .bson file cut inside a document (checksum updated), then verify fails at the restore test', async () => {
      const second = (await svc.run('pixelforge'))[0]!.record;
      const work = path.join(tmp.dir, 'tamper');
      await mkdir(work, { recursive: true });
      await writeFile(path.join(work, 'x.tar'), gunzipSync(await readFile(second.path)));
      await run('tar', ['-xf', 'x.tar'], { cwd: work });
      const bson = path.join(work, 'pixelforge', 'users.bson');
      const bytes = await readFile(bson);
      await writeFile(bson, bytes.subarray(0, bytes.length - 7));
      await run('tar', ['-cf', 'y.tar', 'pixelforge'], { cwd: work });
      const gz = gzipSync(await readFile(path.join(work, 'y.tar')));
      await writeFile(second.path, gz);
      await store.collection('backups').updateOne({ _id: second._id }, { $set: { checksum: createHash('sha256').update(gz).digest('hex') } });
      const [v] = await svc.verify('pixelforge', second._id);
      expect(v!.ok).toBe(false);
      expect(v!.steps.at(-1)).toMatchObject({ name: 'restore test', ok: false });
      expect(v!.steps.at(-1)!.detail).toContain('users.bson');
      await expect(svc.restore('pixelforge', second._id)).rejects.toThrow('failed verification');
    });

    it('given keepLast 1, then the earlier backup was deleted by retention', async () => {
      const all = await BackupCatalog.of(store).list('pixelforge', { safety: false });
      expect(all.map((r) => r._id)).not.toContain(first._id);
    });
  });

  describe('tool: mongodump (stand-in binary)', () => {
    it('given tool mongodump, then the URL goes in a --config file, never argv, and the archive is parsed document by document', async () => {
      const dir = path.join(tmp.dir, 'tool');
      await mkdir(dir, { recursive: true });
      const log = path.join(dir, 'calls.log');
      for (const name of ['mongodump', 'mongorestore']) await copyFile(path.resolve('test/support/fake-mongodump.mjs'), path.join(dir, name));
      await run('chmod', ['+x', path.join(dir, 'mongodump'), path.join(dir, 'mongorestore')]);
      await writeFile(path.join(dir, 'fake.json'), JSON.stringify({ log, nodeModules: path.resolve('node_modules') }));
      const store = await EmbeddedStore.open(null);
      const svc = serviceFor(`
targets:
  pf:
    backups:
      kind: mongodb
      tool: mongodump
      mongodump: ${dir}/mongodump
      mongorestore: ${dir}/mongorestore
      source: mongodb://backup:t0ps3cret@127.0.0.1:27017/pixelforge-prod
      restoreDatabase: pixelforge-test
      destination: ${dir}/backups
`, storeConnector().connect, store);
      {
        const [r] = await svc.run('pf');
        expect(r!.error).toBeUndefined();
        expect(r!.ok).toBe(true);
        expect(r!.record.path.endsWith('.archive.gz')).toBe(true);
        expect(r!.verify!.steps[2]!.detail).toContain('archive parsed, 6 BSON documents, 1 namespaces');
        const restored = await svc.restore('pf', r!.record._id);
        expect(restored.detail).toContain('mongorestore --drop into 127.0.0.1:27017/pixelforge-test');
        const calls = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { tool: string; args: string[]; config: string });
        for (const c of calls) {
          expect(c.args.join(' ')).not.toContain('t0ps3cret');
          expect(c.config).toContain('t0ps3cret');
        }
        expect(calls.find((c) => c.tool === 'mongorestore')!.args).toEqual(expect.arrayContaining(['--drop', '--nsFrom=pixelforge-prod.*', '--nsTo=pixelforge-test.*']));
      }
    });
  });
});

describe('backup: mongodb driver failure paths (real driver)', () => {
  it('given a closed port, when connecting, then a clear "not reachable" error comes back within the timeout', async () => {
    const port = await freePort();
    const err = await driverConnector(`mongodb://127.0.0.1:${port}/app`, 'app', { serverSelectionTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('unavailable');
    expect((err as Error).message).toContain(`MongoDB at 127.0.0.1:${port} is not reachable within 500ms`);
  });

  it('given a server that accepts but never answers, then it times out with the same clear error', async () => {
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const err = await driverConnector(`mongodb://u:secret-pw@127.0.0.1:${port}/app`, 'app', { serverSelectionTimeoutMs: 700 }).catch((e: unknown) => e);
      expect((err as UserError).code).toBe('unavailable');
      expect((err as Error).message).toContain('not reachable within 700ms');
      expect((err as Error).message).not.toContain('secret-pw');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });

  it('given a backup job against a closed port, then the run is recorded as failed with that message', async () => {
    const tmp = await tmpDir('opsbot-bk-mongo-closed-');
    const port = await freePort();
    const store = await EmbeddedStore.open(null);
    const config = parseConfigText(`
targets:
  t:
    backups: { kind: mongodb, source: "mongodb://127.0.0.1:${port}/app", destination: ${tmp.dir}, serverSelectionTimeout: 300ms }
`, 'x.yaml', {});
    const svc = new BackupService({ jobs: { t: config.targets.t!.backups }, catalog: BackupCatalog.of(store), coordination: new MemoryCoordination(), engines: createEngines() });
    try {
      const [r] = await svc.run('t');
      expect(r!.ok).toBe(false);
      expect(r!.error).toContain('not reachable within 300ms');
      expect((await BackupCatalog.of(store).list('t'))[0]).toMatchObject({ status: 'failed' });
      expect((await readdir(tmp.dir)).filter((f) => !f.startsWith('.'))).toEqual([]);
    } finally {
      await tmp.cleanup();
    }
  });
});

const MONGODB_URL = process.env.MONGODB_URL;
describeWithUrl('MONGODB_URL', 'backup: mongodb round trip against MONGODB_URL', () => {
  it('given a real server, when backed up and restored into another database, then the documents and indexes match', async () => {
    const url = MONGODB_URL as string;
    const suffix = Math.random().toString(16).slice(2, 8);
    const src = `opsbot_bk_src_${suffix}`;
    const dst = `opsbot_bk_dst_${suffix}`;
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const tmp = await tmpDir('opsbot-bk-mongo-real-');
    try {
      await client.db(src).collection('users').insertMany(USERS.map((u) => ({ ...u })) as never);
      await client.db(src).collection('users').createIndex({ email: 1 }, { unique: true, name: 'email_1' });
      await client.db(src).collection('projects').insertMany(PROJECTS.map((p) => ({ ...p })) as never);
      const store = await EmbeddedStore.open(null);
      const svc = serviceFor(`
targets:
  real:
    backups: { kind: mongodb, source: "${url}", database: ${src}, restoreTo: "${url}", restoreDatabase: ${dst}, destination: ${tmp.dir} }
`, driverConnector, store);
      const [r] = await svc.run('real');
      expect(r!.ok).toBe(true);
      await svc.restore('real', r!.record._id);
      expect(await client.db(dst).collection('users').find({}, { sort: { _id: 1 } }).toArray()).toEqual(await client.db(src).collection('users').find({}, { sort: { _id: 1 } }).toArray());
      expect(await client.db(dst).collection('projects').countDocuments()).toBe(PROJECTS.length);
      expect((await client.db(dst).collection('users').indexes()).map((i) => i.name)).toContain('email_1');
    } finally {
      await client.db(src).dropDatabase();
      await client.db(dst).dropDatabase();
      await client.close();
      await tmp.cleanup();
    }
  }, 60_000);
});

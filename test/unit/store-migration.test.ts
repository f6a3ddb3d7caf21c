/** The one-time import of the old nedb data folder into SQLite, from files in nedb's own format. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SqliteStore, isDuplicateKey } from '../../src/core/store/index.js';
import { tmpDir } from '../support/servers.js';

const d = (iso: string) => ({ $$date: Date.parse(iso) });
const lines = (...docs: unknown[]) => `${docs.map((x) => JSON.stringify(x)).join('\n')}\n`;

class RecordingLog {
  readonly infos: { obj: Record<string, unknown>; msg: string }[] = [];
  readonly warns: { obj: Record<string, unknown>; msg: string }[] = [];
  info(obj: object, msg: string) { this.infos.push({ obj: obj as Record<string, unknown>, msg }); }
  warn(obj: object, msg: string) { this.warns.push({ obj: obj as Record<string, unknown>, msg }); }
}

describe('nedb data folder migration', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tmpDir());
    // As nedb appends: an index line, documents, a later version of one, a tombstone, and a line cut short by a crash.
    await writeFile(path.join(dir, 'alert_groups.db'), lines(
      { $$indexCreated: { fieldName: 'groupKey', unique: true, sparse: false } },
      { $$indexCreated: { fieldName: 'open', unique: false, sparse: false } },
      { _id: 'g1', groupKey: 'k1', open: true, state: 'firing', version: 1, createdAt: d('2026-01-01T00:00:00Z'), alerts: [{ fp: 'a', startsAt: d('2026-01-01T00:00:00Z') }] },
      { _id: 'g2', groupKey: 'k2', open: true, state: 'firing', version: 1, createdAt: d('2026-01-02T00:00:00Z') },
      { _id: 'g1', groupKey: 'k1', open: true, state: 'acknowledged', version: 2, createdAt: d('2026-01-01T00:00:00Z'), alerts: [{ fp: 'a', startsAt: d('2026-01-01T00:00:00Z') }] },
      { _id: 'g3', groupKey: 'k3', open: false, state: 'resolved', version: 4, createdAt: d('2026-01-03T00:00:00Z') },
      { $$deleted: true, _id: 'g3' },
    ) + '{"_id":"g4","groupKey":"k4","op');
    await writeFile(path.join(dir, 'audit.db'), lines(
      { _id: 'i1', subject: 'console:a', command: 'health', at: d('2026-02-01T10:00:00Z') },
      { _id: 'i2', subject: 'console:b', command: 'restart', at: d('2026-02-01T11:00:00Z') },
    ));
  });
  afterEach(async () => { await cleanup(); });

  it('given an old data folder, when the store opens, then every live document is in SQLite with its dates and indexes, the files are renamed and the import is logged', async () => {
    const log = new RecordingLog();
    const store = await SqliteStore.open(dir, { log });
    const groups = store.collection<{ _id: string; groupKey: string; state: string; version: number; createdAt: Date; alerts?: { startsAt: Date }[] }>('alert_groups');

    expect((await groups.find({}, { sort: { _id: 1 } })).map((g) => [g._id, g.state, g.version])).toEqual([['g1', 'acknowledged', 2], ['g2', 'firing', 1]]);
    const g1 = await groups.findOne({ _id: 'g1' });
    expect(g1?.createdAt).toBeInstanceOf(Date);
    expect(g1?.alerts?.[0]?.startsAt).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect((await groups.find({ createdAt: { $lt: new Date('2026-01-02T00:00:00Z') } })).map((g) => g._id)).toEqual(['g1']);
    const dup = await groups.insertOne({ groupKey: 'k1', state: 'firing', version: 1, createdAt: new Date() }).catch((e: unknown) => e);
    expect(isDuplicateKey(dup)).toBe(true);
    const audit = store.collection<{ _id: string; at: Date }>('audit');
    expect((await audit.find({}, { sort: { at: -1 } })).map((a) => a._id)).toEqual(['i2', 'i1']);

    expect((await readdir(dir)).filter((f) => f.includes('.db')).sort()).toEqual(['alert_groups.db.migrated', 'audit.db.migrated']);
    expect(log.infos.map((l) => [l.obj.collection, l.obj.documents, l.obj.unreadableLines, l.msg]).sort()).toEqual([
      ['alert_groups', 2, 1, 'migrated nedb collection into SQLite'],
      ['audit', 2, 0, 'migrated nedb collection into SQLite'],
    ]);
    await store.close();
  });

  it('given a folder already imported, when a stale nedb file shows up again, then it is not imported twice over newer data', async () => {
    const first = await SqliteStore.open(dir);
    await first.collection('audit').updateOne({ _id: 'i1' }, { $set: { command: 'changed-after-import' } });
    await first.close();
    // (a process that died between the import's commit and the rename leaves the file behind)
    await writeFile(path.join(dir, 'audit.db'), lines({ _id: 'i1', subject: 'console:a', command: 'health', at: d('2026-02-01T10:00:00Z') }));
    const log = new RecordingLog();
    const again = await SqliteStore.open(dir, { log });
    expect((await again.collection<{ _id: string; command: string }>('audit').findOne({ _id: 'i1' }))?.command).toBe('changed-after-import');
    expect(log.infos).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.startsWith('audit.db'))).toEqual(['audit.db.migrated']);
    await again.close();
  });
});

#!/usr/bin/env node
// A stand-in for mongodump / mongorestore (not packaged for Debian): records argv and the --config
// file it was given to the log named in fake.json next to it (the tools get a minimal environment),
// and as mongodump writes a real archive-format file (to stdout for a bare `--archive`, as
// mongodump does); as mongorestore with a bare `--archive` it reads the archive from stdin and
// records its size and the config file's mode.
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const setup = JSON.parse(readFileSync(path.join(path.dirname(process.argv[1]), 'fake.json'), 'utf8'));
const require = createRequire(setup.nodeModules + '/');
const { BSON } = require('mongodb');
const args = process.argv.slice(2);
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const log = setup.log;
const config = opt('config');
const entry = { tool: process.argv[1].split('/').pop(), args, config: config ? readFileSync(config, 'utf8') : null, configPath: config ?? null, configMode: config ? (statSync(config).mode & 0o777).toString(8) : null };
if (process.argv[1].endsWith('mongorestore')) {
  if (!args.includes('--archive')) {
    appendFileSync(log, JSON.stringify(entry) + '\n');
    process.exit(0);
  }
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    appendFileSync(log, JSON.stringify({ ...entry, stdinBytes: Buffer.concat(chunks).length }) + '\n');
    process.exit(0);
  });
} else {
  appendFileSync(log, JSON.stringify(entry) + '\n');
}
if (!process.argv[1].endsWith('mongorestore')) writeArchive();

function writeArchive() {
  const db = opt('db') ?? 'test';
  const term = Buffer.alloc(4, 0xff);
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(0x8199e26d);
  const doc = (d) => Buffer.from(BSON.serialize(d));
  const users = [{ _id: 1, name: 'ada' }, { _id: 2, name: 'grace' }];
  const parts = [
    magic,
    doc({ concurrent_collections: 1, version: '0.1', server_version: '7.0.0', tool_version: 'fake' }),
    doc({ db, collection: 'users', metadata: JSON.stringify({ indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }] }), size: 0, type: 'collection' }),
    term,
    doc({ db, collection: 'users', EOF: false, CRC: BSON.Long.fromNumber(0) }),
    ...users.map(doc),
    term,
    doc({ db, collection: 'users', EOF: true, CRC: BSON.Long.fromNumber(0) }),
    term,
  ];
  if (opt('archive')) writeFileSync(opt('archive'), Buffer.concat(parts));
  else process.stdout.write(Buffer.concat(parts));
}

/**
 * Every `opsbot …` / `npx opsbot …` command line the README prints, run as printed against the
 * real CLI (tsx src/cli.ts, what `npx opsbot` runs once built) on a bare environment. Lines that
 * need an outside service or are usage patterns rather than commands are listed below with the
 * reason; any other line the README gains is run too, so a new example cannot silently break.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tokenize } from '../../src/bot/parse.js';
import { tmpDir } from '../support/servers.js';
import { bareEnv, runCliBare } from '../support/process.js';

/** Command lines in inline code and in ```sh blocks, with `# comments` dropped. */
function readmeCommandLines(markdown: string): string[] {
  const found: string[] = [];
  const lead = String.raw`(?:[A-Z_]+=\S+ )*(?:npx )?opsbot(?: |$)`;
  let inSh = false;
  for (const line of markdown.split('\n')) {
    const fence = /^\s*```(\w*)/.exec(line);
    if (fence) { inSh = !inSh && fence[1] === 'sh'; continue; }
    if (inSh) {
      const m = new RegExp(`^\\s*(${lead}.*?)\\s*(?:#.*)?$`).exec(line);
      if (m) found.push(m[1] as string);
      continue;
    }
    for (const m of line.matchAll(new RegExp(`\`(${lead}[^\`]*)\``, 'g'))) found.push((m[1] as string).replace(/\\\|/g, '|').trim());
  }
  return [...new Set(found)];
}

/** Printed as `opsbot …` but not something to run, or needing what a test machine lacks. */
const SKIPPED: Record<string, string> = {
  'npx opsbot …': 'a placeholder for "any subcommand"',
  'opsbot …': 'a placeholder for "any command line"',
  'opsbot start': 'runs until stopped: test/integration/process.test.ts and self-checks.test.ts start it',
  'opsbot demo': 'runs until stopped: test/integration/demo.test.ts starts it and types the quick start\'s commands',
  'npx opsbot demo': 'runs until stopped: test/integration/demo.test.ts starts it and types the quick start\'s commands',
  'opsbot exec': 'the subcommand named in prose, without a command line',
  'opsbot reload': 'needs a running bot: test/integration/reload-process.test.ts runs it against one',
  'opsbot exec --json': 'the flag named in prose (the JSON shape); exec-errors.test.ts runs `opsbot exec --json` with command lines',
  'opsbot /healthz': 'the name of a health check in the default config, not a command',
  'opsbot port': 'the name of a health check in the default config, not a command',
  'opsbot validate-config [file]': 'a usage pattern ([file] is a placeholder); run as printed elsewhere',
  'opsbot discord-register [--guild ID] [--print]': 'a usage pattern (ID is a placeholder); `npx opsbot discord-register --print` is run as printed',
  'opsbot slack-manifest --url https://… | --socket': 'a usage pattern (one of two options); both forms are run from the Slack section',
  'npx opsbot slack-manifest --url https://… --yaml --command /opsbot --name opsbot-staging': '`https://…` is a placeholder for the bot\'s URL',
  'DISCORD_TOKEN=… DISCORD_APPLICATION_ID=… npx opsbot discord-register --guild <SERVER_ID>': 'needs a Discord bot token and Discord (test/integration/discord.test.ts runs it against a stand-in)',
  'DISCORD_TOKEN=… DISCORD_APPLICATION_ID=… npx opsbot discord-register': 'needs a Discord bot token and Discord',
};

/** Lines that are examples of a failure: the exit code they must give. */
const EXPECTED_CODE: Record<string, number> = {
  'opsbot nosuch': 2,
};

const lines = readmeCommandLines(readFileSync('README.md', 'utf8'));
const runnable = lines.filter((l) => !(l in SKIPPED));

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => { ({ dir, cleanup } = await tmpDir()); });
afterAll(async () => { await cleanup(); });

describe('the README\'s command lines', () => {
  it('finds the examples, and every skipped line is still in the README', () => {
    expect(runnable).toEqual(expect.arrayContaining(['npx opsbot exec "health all"', 'OPSBOT_CONFIG=config/examples/nordlayer.yaml npx opsbot validate-config', 'opsbot --help']));
    expect(Object.keys(SKIPPED).filter((l) => !lines.includes(l))).toEqual([]);
  });

  it.each(runnable)('`%s` works as printed', async (line) => {
    const words = tokenize(line);
    const env: Record<string, string> = {};
    while (words[0] && /^[A-Z_]+=/.test(words[0])) {
      const [k, ...v] = (words.shift() as string).split('=');
      env[k as string] = v.join('=');
    }
    if (words[0] === 'npx') words.shift();
    expect(words.shift()).toBe('opsbot');
    // The data directory only keeps the test from writing ./data into the checkout.
    const r = await runCliBare(words, bareEnv({ OPSBOT_DATA_DIR: path.join(dir, 'data'), ...env }));
    expect({ line, code: r.code, stderr: r.code === (EXPECTED_CODE[line] ?? 0) ? '' : r.stderr }).toEqual({ line, code: EXPECTED_CODE[line] ?? 0, stderr: '' });
  }, 60_000);
});

/**
 * npm run render-examples: renders the README's example messages (Slack and Discord) from the
 * golden files in test/golden to docs/images/<name>.html, screenshots each with headless Chromium
 * (CHROMIUM, default /usr/bin/chromium) to docs/images/<name>.png, and stamps each PNG with the
 * SHA-256 of its HTML. test/unit/render-examples.test.ts checks both are current without Chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, SOURCE_KEY, exampleFiles, exampleHtml, sha256, withPngText } from './render-examples/index.js';
import { screenshotAll } from './render-examples/screenshot.js';

const root = process.cwd();
mkdirSync(path.join(root, 'docs', 'images'), { recursive: true });
const pages = EXAMPLES.map((example) => ({ example, files: exampleFiles(root, example), html: exampleHtml(root, example) }));
for (const p of pages) writeFileSync(p.files.html, p.html);
const shots = await screenshotAll(pages.map((p) => p.files.html), process.env.CHROMIUM ?? '/usr/bin/chromium');
pages.forEach((p, i) => {
  writeFileSync(p.files.png, withPngText(shots[i] as Buffer, SOURCE_KEY, sha256(p.html)));
  console.log(`${path.relative(root, p.files.png)}  (from test/golden/${p.example.golden})`);
});

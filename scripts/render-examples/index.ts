/**
 * The README's rendered examples: the HTML of each example from its golden file, and where its
 * HTML and PNG live. Shared by scripts/render-examples.ts and the test that keeps them current.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, type Example } from './examples.js';
import { examplePage } from './page.js';

export { EXAMPLES, type Example };
export { pngSize, pngText, withPngText } from './png-text.js';

/** tEXt keyword under which each PNG carries the SHA-256 of its HTML. */
export const SOURCE_KEY = 'opsbot-html-sha256';

export function exampleFiles(root: string, example: Example): { golden: string; html: string; png: string } {
  return {
    golden: path.join(root, 'test', 'golden', example.golden),
    html: path.join(root, 'docs', 'images', `${example.name}.html`),
    png: path.join(root, 'docs', 'images', `${example.name}.png`),
  };
}

export function exampleHtml(root: string, example: Example): string {
  return examplePage(example, JSON.parse(readFileSync(exampleFiles(root, example).golden, 'utf8')) as unknown);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

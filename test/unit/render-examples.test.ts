/**
 * The README's example images stay current with the golden files, without Chromium: the HTML that
 * scripts/render-examples.ts screenshots is regenerated from test/golden and compared with
 * docs/images/<name>.html, and each PNG carries the SHA-256 of the HTML it was taken from.
 * After a golden file changes: `npm run render-examples` (needs Debian's chromium) and commit docs/images.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { EXAMPLES, SOURCE_KEY, exampleFiles, exampleHtml, pngSize, pngText, sha256 } from '../../scripts/render-examples/index.js';
import { slackMessageHtml } from '../../scripts/render-examples/slack-html.js';
import { discordMessageHtml } from '../../scripts/render-examples/discord-html.js';

const root = process.cwd();
const STALE = 'stale: run `npm run render-examples` and commit docs/images';

describe('rendered examples in the README (docs/images)', () => {
  it.each(EXAMPLES.map((e) => [e.name, e] as const))('%s: the HTML is what the golden file renders to, and the PNG was taken from it', (_name, example) => {
    // given the golden file and the committed HTML and PNG
    const files = exampleFiles(root, example);
    expect(existsSync(files.html) && existsSync(files.png)).toBe(true);
    // when the HTML is rendered again from the golden file
    const html = exampleHtml(root, example);
    // then it is the committed HTML, and the PNG carries that HTML's hash at the 2x width
    expect({ html: readFileSync(files.html, 'utf8'), state: STALE }).toEqual({ html, state: STALE });
    const png = readFileSync(files.png);
    expect({ source: pngText(png, SOURCE_KEY), state: STALE }).toEqual({ source: sha256(html), state: STALE });
    expect(pngSize(png).width).toBe(1440);
  });

  it('every example image is embedded in the README', () => {
    const readme = readFileSync(`${root}/README.md`, 'utf8');
    for (const e of EXAMPLES) expect(readme).toContain(`(docs/images/${e.name}.png)`);
  });

  it('the rendering shows what the message says: title, fields, links, buttons with their style, code', () => {
    // given an alert golden on each surface
    const slack = slackMessageHtml(JSON.parse(readFileSync(`${root}/test/golden/slack-alert.json`, 'utf8')) as never);
    const discord = discordMessageHtml(JSON.parse(readFileSync(`${root}/test/golden/discord-alert.json`, 'utf8')) as never);
    // then both show the title in bold, the fields, the link and the styled buttons
    expect(slack).toContain('❌ <b>FIRING: DiskFull on web-1 (production)</b>');
    expect(slack).toContain('<div class="field"><b>Severity</b><br>critical</div>');
    expect(slack).toContain('<a href="https://grafana.example.com/d/disk?var-host=web-1&amp;from=now-1h">Grafana</a>');
    expect(slack).toContain('<span class="button primary">Acknowledge</span><span class="button">Silence 1h</span><span class="button danger">Escalate</span>');
    expect(slack).toContain('Disk /var is 97% full (threshold 90%) &lt;since 10:02&gt;');
    expect(discord).toContain('border-left-color: #e74c3c');
    expect(discord).toContain('<div class="row"><div class="field"><div class="name">Severity</div><div class="value">critical</div></div>');
    expect(discord).toContain('<span class="button danger">Escalate</span>');
    expect(discord).toContain('&lt;since 10:02&gt;');
    expect(slackMessageHtml({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'run:\n```\nrestart <b>\n```' } }] })).toContain('<pre>restart &lt;b&gt;</pre>');
  });

  it('a block or component it cannot draw is an error, not a silent gap', () => {
    expect(() => slackMessageHtml({ blocks: [{ type: 'video' }] })).toThrow("Slack block type 'video' has no HTML rendering");
    expect(() => discordMessageHtml({ components: [{ type: 1, components: [{ type: 3 }] }] })).toThrow('Discord component type 3 has no HTML rendering');
  });
});

/**
 * A PNG's tEXt chunks: the script stamps each image with the SHA-256 of the HTML it was taken
 * from, so a test without Chromium can tell that a PNG is stale relative to its golden file.
 */
import { crc32 } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Chunk { type: string; data: Buffer; start: number; end: number }

function chunks(png: Buffer): Chunk[] {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  const out: Chunk[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    out.push({ type, data: png.subarray(at + 8, at + 8 + length), start: at, end: at + 12 + length });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  return out;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** The PNG with a tEXt chunk `keyword` = `text` right after IHDR (an earlier one with that keyword is replaced). */
export function withPngText(png: Buffer, keyword: string, text: string): Buffer {
  const all = chunks(png);
  const ihdr = all[0];
  if (!ihdr || ihdr.type !== 'IHDR') throw new Error('PNG without IHDR first');
  const kept = all.slice(1).filter((c) => !(c.type === 'tEXt' && c.data.toString('latin1').split('\0')[0] === keyword));
  return Buffer.concat([SIGNATURE, png.subarray(ihdr.start, ihdr.end), chunk('tEXt', Buffer.from(`${keyword}\0${text}`, 'latin1')), ...kept.map((c) => png.subarray(c.start, c.end))]);
}

/** The text of the PNG's tEXt chunk `keyword`, if it has one. */
export function pngText(png: Buffer, keyword: string): string | undefined {
  for (const c of chunks(png)) {
    if (c.type !== 'tEXt') continue;
    const [key, ...rest] = c.data.toString('latin1').split('\0');
    if (key === keyword) return rest.join('\0');
  }
  return undefined;
}

/** Width and height from IHDR. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const ihdr = chunks(png)[0];
  if (!ihdr || ihdr.type !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: ihdr.data.readUInt32BE(0), height: ihdr.data.readUInt32BE(4) };
}

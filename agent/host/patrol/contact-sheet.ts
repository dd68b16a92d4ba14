import sharp from 'sharp';
import type { Polygon } from '../../config/sections/regions.js';
import { burnPrivacyMasks } from '../../edge/imaging/privacy.js';

export interface SheetTile {
  id: string;
  name: string;
  state: string;
  /** The camera's latest frame (JPEG), or undefined when there is none. */
  jpeg: Buffer | undefined;
  privacyMasks: readonly Polygon[];
}

const STATE_COLOURS: Record<string, string> = { online: '#1b7f3b', degraded: '#b7791f', offline: '#c53030' };
const CAPTION_PX = 28;

/**
 * One JPEG with a tile per camera, in order: its current frame with privacy masks burned in
 * (before scaling, so no masked pixel survives), and a caption bar with its name and state.
 */
export async function contactSheet(tiles: readonly SheetTile[], tileWidth: number): Promise<Buffer> {
  const tileHeight = Math.round((tileWidth * 9) / 16);
  const columns = Math.max(1, Math.ceil(Math.sqrt(tiles.length)));
  const rows = Math.max(1, Math.ceil(tiles.length / columns));
  const images = await Promise.all(tiles.map((tile) => renderTile(tile, tileWidth, tileHeight)));
  return sharp({ create: { width: columns * tileWidth, height: rows * tileHeight, channels: 3, background: '#202020' } })
    .composite(images.map((input, i) => ({ input, left: (i % columns) * tileWidth, top: Math.floor(i / columns) * tileHeight })))
    .jpeg({ quality: 80 })
    .toBuffer();
}

async function renderTile(tile: SheetTile, width: number, height: number): Promise<Buffer> {
  const picture = tile.jpeg === undefined ? undefined : await maskedPicture(tile, width, height);
  const base = picture ?? (await sharp({ create: { width, height, channels: 3, background: '#555555' } }).png().toBuffer());
  const caption = Buffer.from(captionSvg(tile, width, height, picture === undefined));
  return sharp(base).composite([{ input: caption, left: 0, top: 0 }]).png().toBuffer();
}

async function maskedPicture(tile: SheetTile, width: number, height: number): Promise<Buffer | undefined> {
  try {
    const masked = await burnPrivacyMasks(tile.jpeg as Buffer, tile.privacyMasks);
    return await sharp(masked).resize(width, height, { fit: 'contain', background: '#000000' }).png().toBuffer();
  } catch {
    return undefined; // an undecodable frame shows as "no picture", never as a broken sheet
  }
}

function captionSvg(tile: SheetTile, width: number, height: number, missing: boolean): string {
  const colour = STATE_COLOURS[tile.state] ?? '#4a5568';
  const label = `${tile.name} · ${tile.state}`;
  const notice = missing
    ? `<text x="${width / 2}" y="${height / 2}" font-family="sans-serif" font-size="16" fill="#dddddd" text-anchor="middle">no picture</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${notice}`
    + `<rect x="0" y="${height - CAPTION_PX}" width="${width}" height="${CAPTION_PX}" fill="${colour}" fill-opacity="0.85"/>`
    + `<text x="8" y="${height - 9}" font-family="sans-serif" font-size="16" fill="#ffffff">${escapeXml(label)}</text></svg>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

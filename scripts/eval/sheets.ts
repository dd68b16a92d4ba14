/** Contact sheets for judging by eye what the eval's tracking did (`look-alike.ts`, `event-sheet.ts`). */
import sharp, { type OverlayOptions } from 'sharp';
import type { Box } from '../../agent/edge/types.js';

/** One cell's picture: `box` (normalised) cut out of a frame and stretched to `width` × `height`. */
export async function crop(jpeg: Buffer, b: Readonly<Box>, width: number, height: number): Promise<Buffer> {
  const meta = await sharp(jpeg).metadata();
  const left = Math.max(0, Math.min(meta.width - 1, Math.floor(b[0] * meta.width)));
  const top = Math.max(0, Math.min(meta.height - 1, Math.floor(b[1] * meta.height)));
  const w = Math.max(1, Math.min(meta.width - left, Math.ceil((b[2] - b[0]) * meta.width)));
  const h = Math.max(1, Math.min(meta.height - top, Math.ceil((b[3] - b[1]) * meta.height)));
  return sharp(jpeg).extract({ left, top, width: w, height: h }).resize(width, height, { fit: 'fill' }).png().toBuffer();
}

/** A caption under a cell, white on the sheet's black. */
export function caption(text: string, width: number, left: number, top: number): OverlayOptions {
  const safe = text.replace(/[<>&]/g, '');
  return { input: Buffer.from(`<svg width="${width}" height="20"><text x="2" y="15" font-size="14" fill="white">${safe}</text></svg>`), left, top };
}

/** Writes the cells onto a black PNG `width` × `height`. */
export async function writeSheet(file: string, width: number, height: number, layers: OverlayOptions[]): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: '#000' } }).composite(layers).png().toFile(file);
}

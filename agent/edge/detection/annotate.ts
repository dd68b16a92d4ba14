import sharp from 'sharp';
import type { Polygon } from '../../config/sections/regions.js';
import { burnPrivacyMasks } from '../imaging/privacy.js';
import type { Detection } from '../types.js';

const COLOURS: Record<Detection['label'], string> = { person: '#ffd400', ebike: '#00e0ff' };

/** A JPEG of the image with privacy masks burned in and each detection drawn as a labelled box. */
export async function annotateImage(image: Buffer, detections: readonly Detection[], privacyMasks: readonly Polygon[]): Promise<Buffer> {
  const masked = await burnPrivacyMasks(image, privacyMasks);
  const meta = await sharp(masked).metadata();
  const svg = boxesSvg(detections, meta.width, meta.height);
  return sharp(masked).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).jpeg({ quality: 85 }).toBuffer();
}

export function boxesSvg(detections: readonly Detection[], width: number, height: number): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 250));
  const font = Math.max(10, Math.round(Math.min(width, height) / 40));
  const shapes = detections.map((d) => {
    const [x1, y1, x2, y2] = [d.box[0] * width, d.box[1] * height, d.box[2] * width, d.box[3] * height].map((v) => Math.round(v));
    const colour = COLOURS[d.label];
    const text = `${d.label} ${Math.round(d.score * 100)}%`;
    const ty = Math.max(font, (y1 ?? 0) - stroke);
    return `<rect x="${x1}" y="${y1}" width="${(x2 ?? 0) - (x1 ?? 0)}" height="${(y2 ?? 0) - (y1 ?? 0)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`
      + `<text x="${x1}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="${colour}" stroke="#000" stroke-width="0.6">${text}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
}

import sharp from 'sharp';
import type { Polygon } from '../../config/sections/regions.js';
import { assertPixelLimit, SHARP_INPUT } from './pixel-limit.js';

/**
 * Burns privacy masks (solid black polygons, normalised coordinates) into an image, so a masked
 * area never leaves the host: thumbnails, snapshots and contact sheets all pass through here.
 * Returns a JPEG. With no masks the image is only re-encoded when it is not already JPEG.
 */
export async function burnPrivacyMasks(image: Buffer, masks: readonly Polygon[], quality = 85): Promise<Buffer> {
  assertPixelLimit(image);
  const input = sharp(image, { ...SHARP_INPUT, failOn: 'error' });
  const meta = await input.metadata();
  if (masks.length === 0 && meta.format === 'jpeg') return image;
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  const pipeline = input.rotate();
  if (masks.length > 0) {
    pipeline.composite([{ input: Buffer.from(maskSvg(masks, width, height)), top: 0, left: 0 }]);
  }
  return pipeline.jpeg({ quality, mozjpeg: false }).toBuffer();
}

export function maskSvg(masks: readonly Polygon[], width: number, height: number): string {
  const polygons = masks
    .map((mask) => mask.map(([x, y]) => `${round(x * width)},${round(y * height)}`).join(' '))
    .map((points) => `<polygon points="${points}" fill="#000" shape-rendering="crispEdges"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${polygons}</svg>`;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** The masks alone as a PNG (black polygons on transparency), for ffmpeg to burn into video frames. */
export function privacyMaskPng(masks: readonly Polygon[], width = 1280, height = 720): Promise<Buffer> {
  return sharp(Buffer.from(maskSvg(masks, width, height))).png().toBuffer();
}

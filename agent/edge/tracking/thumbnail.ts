import sharp from 'sharp';
import type { Polygon } from '../../config/sections/regions.js';
import { burnPrivacyMasks } from '../imaging/privacy.js';
import type { Box } from '../types.js';
import { expand } from '../box.js';
import { EVENT_FRAME_LONG_SIDE } from '../../link/contract/v1.js';

export const THUMBNAIL_LONG_SIDE = 640;

/**
 * An event's picture: the frame with privacy masks burned in first (so a crop can never reveal
 * a masked area), cropped around the object with a margin for context, at most 640 px on its long side.
 */
export async function makeThumbnail(jpeg: Buffer, box: Box, masks: readonly Polygon[]): Promise<Buffer> {
  const masked = await burnPrivacyMasks(jpeg, masks);
  const meta = await sharp(masked).metadata();
  const width = meta.width;
  const height = meta.height;
  const [x1, y1, x2, y2] = expand(box, 0.5, 0.15);
  const left = Math.floor(x1 * width);
  const top = Math.floor(y1 * height);
  const crop = {
    left,
    top,
    width: Math.max(1, Math.min(width - left, Math.ceil(x2 * width) - left)),
    height: Math.max(1, Math.min(height - top, Math.ceil(y2 * height) - top)),
  };
  return sharp(masked)
    .extract(crop)
    .resize({ width: THUMBNAIL_LONG_SIDE, height: THUMBNAIL_LONG_SIDE, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** An alerting event's whole picture: the frame, privacy masks burned in, at most 1280 px on its long side. */
export async function makeFrame(jpeg: Buffer, masks: readonly Polygon[]): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const masked = await burnPrivacyMasks(jpeg, masks);
  const { data, info } = await sharp(masked)
    .resize({ width: EVENT_FRAME_LONG_SIDE, height: EVENT_FRAME_LONG_SIDE, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 75 })
    .toBuffer({ resolveWithObject: true });
  return { jpeg: data, width: info.width, height: info.height };
}

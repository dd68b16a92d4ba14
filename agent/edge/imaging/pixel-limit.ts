import { AgentError } from '../../core/errors.js';
import { jpegSize } from './grey.js';

/**
 * The largest picture the agent decodes: 4096 × 4096 (a 12 MP camera fits; its RGB decode is
 * about 50 MB). A 1.5 MiB JPEG can declare 16383 × 16383 and take a gigabyte to decode, so every
 * decode site checks the header first, and sharp gets the same limit as `limitInputPixels`.
 */
export const MAX_FRAME_PIXELS = 4096 * 4096;

/** sharp's input options for pictures from outside (cameras, files, the station). */
export const SHARP_INPUT = { limitInputPixels: MAX_FRAME_PIXELS } as const;

/**
 * Refuses a JPEG whose frame header declares more than `maxPixels`, or that has no frame header
 * before its image data, without decoding anything. Non-JPEG input is left to sharp's own limit.
 */
export function assertPixelLimit(image: Buffer, maxPixels = MAX_FRAME_PIXELS): void {
  if (image[0] !== 0xff || image[1] !== 0xd8) return;
  const size = jpegSize(image);
  if (size === undefined) {
    throw new AgentError('detector.image_unreadable', `not a usable JPEG (${image.length} bytes): no frame header (SOF) before the image data`);
  }
  const pixels = size.width * size.height;
  if (size.width === 0 || size.height === 0 || pixels > maxPixels) {
    throw new AgentError('image.too_large', `a ${size.width}×${size.height} JPEG is refused: more than ${maxPixels} pixels (or empty); lower the camera's resolution or pick a sub-stream`);
  }
}

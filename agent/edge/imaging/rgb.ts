import sharp from 'sharp';
import { AgentError, errorMessage } from '../../core/errors.js';
import { assertPixelLimit, SHARP_INPUT } from './pixel-limit.js';

/** A decoded image: packed RGB bytes. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Decodes JPEG/PNG/... into RGB, honouring EXIF orientation; at most `maxWidth` wide if given (aspect kept). */
export async function decodeImage(image: Buffer, maxWidth?: number): Promise<RgbImage> {
  assertPixelLimit(image);
  try {
    let pipeline = sharp(image, { ...SHARP_INPUT, failOn: 'error' }).rotate();
    if (maxWidth !== undefined) pipeline = pipeline.resize({ width: maxWidth, withoutEnlargement: true });
    const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw new AgentError('detector.image_unreadable', `not a readable image: ${errorMessage(err)}`, { cause: err });
  }
}

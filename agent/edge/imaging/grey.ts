import sharp from 'sharp';
import { assertPixelLimit, SHARP_INPUT } from './pixel-limit.js';

/** A small greyscale picture: one byte of luma per pixel, rows top to bottom. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** The size of the JPEG it came from. */
  sourceWidth: number;
  sourceHeight: number;
}

/**
 * Decodes a JPEG straight to a small greyscale image. libjpeg scales by 1/2, 1/4 or 1/8 while
 * decoding (sharp's shrink-on-load), so a 1080p frame is never decoded at full size: this is what
 * keeps a camera with no motion cheap. Motion and camera health share the result.
 */
export async function decodeGrey(jpeg: Buffer, width: number): Promise<GreyImage> {
  assertPixelLimit(jpeg);
  const size = jpegSize(jpeg);
  const { data, info } = await sharp(jpeg, { ...SHARP_INPUT, failOn: 'error', sequentialRead: true })
    .resize({ width: Math.min(width, size?.width ?? width), kernel: 'linear' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const luma = info.channels === 1 ? new Uint8Array(data.buffer, data.byteOffset, data.length) : firstChannel(data, info.channels);
  return {
    width: info.width,
    height: info.height,
    data: luma,
    sourceWidth: size?.width ?? info.width,
    sourceHeight: size?.height ?? info.height,
  };
}

function firstChannel(data: Buffer, channels: number): Uint8Array {
  const out = new Uint8Array(data.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels] ?? 0;
  return out;
}

/** Width and height from a JPEG's SOF segment, without decoding; undefined when there is none. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } | undefined {
  let pos = 2;
  while (pos + 9 < jpeg.length) {
    if (jpeg[pos] !== 0xff) return undefined;
    const marker = jpeg[pos + 1] ?? 0;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: jpeg.readUInt16BE(pos + 5), width: jpeg.readUInt16BE(pos + 7) };
    if (marker === 0xda || marker === 0xd9) return undefined;
    pos += 2 + jpeg.readUInt16BE(pos + 2);
  }
  return undefined;
}

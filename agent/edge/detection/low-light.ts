/**
 * Low-light preprocessing: a frame whose mean luminance is below a threshold is brightened before
 * the crops are cut from it and resized into the model input. Frames at or above the threshold go
 * through untouched (the same buffer), so the detector's normal path stays bit-identical for them.
 */
import sharp from 'sharp';
import type { LOW_LIGHT_METHODS } from '../../config/sections/detector.js';

export type LowLightMethod = (typeof LOW_LIGHT_METHODS)[number];

export interface LowLightOptions {
  /** `gamma`: lift the tones by 1/gamma; `clahe`: local histogram equalisation; `normalise`: stretch luminance to the full range. */
  method: LowLightMethod;
  /** Frames with mean luminance (Rec. 601, 0..255) below this are enhanced. */
  belowLuma: number;
  /** The exponent of the `gamma` lift (2: a mid-dark 64 becomes 128). */
  gamma: number;
  /** Run the model on both the frame as it is and the enhanced frame (twice the inferences on dark frames). */
  secondLook: boolean;
}

export const LOW_LIGHT_OFF: LowLightOptions = { method: 'off', belowLuma: 0, gamma: 1, secondLook: false };

/** Packed RGB bytes, as the detector decodes them. */
export interface RgbPixels {
  data: Buffer;
  width: number;
  height: number;
}

/** Pixels sampled for the mean: at most about this many, evenly spread. */
const LUMA_SAMPLES = 65_536;

/** Mean Rec. 601 luminance, 0..255, over an even sample of the pixels. */
export function meanLuma(rgb: RgbPixels): number {
  const pixels = rgb.width * rgb.height;
  if (pixels === 0) return 0;
  const step = Math.max(1, Math.floor(pixels / LUMA_SAMPLES));
  let sum = 0;
  let n = 0;
  for (let p = 0; p < pixels; p += step) {
    const i = p * 3;
    sum += 0.299 * (rgb.data[i] ?? 0) + 0.587 * (rgb.data[i + 1] ?? 0) + 0.114 * (rgb.data[i + 2] ?? 0);
    n++;
  }
  return sum / n;
}

/** Whether a frame of this mean luminance gets the low-light treatment. */
export function isLowLight(luma: number, options: LowLightOptions): boolean {
  return options.method !== 'off' && luma < options.belowLuma;
}

/** The enhanced copy of a frame (same size, packed RGB); the input is not changed. */
export async function enhanceLowLight(rgb: RgbPixels, options: LowLightOptions): Promise<RgbPixels> {
  if (options.method === 'off') return rgb;
  if (options.method === 'gamma') return { ...rgb, data: applyLut(rgb.data, gammaLut(options.gamma)) };
  const raw = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  const side = Math.max(3, Math.round(Math.max(rgb.width, rgb.height) / 8));
  const out = options.method === 'clahe'
    ? raw.clahe({ width: side, height: side, maxSlope: 3 })
    : raw.normalise({ lower: 1, upper: 99 });
  const { data, info } = await out.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== rgb.width || info.height !== rgb.height) {
    throw new Error(`low-light ${options.method} gave ${info.width}x${info.height}x${info.channels}, expected ${rgb.width}x${rgb.height}x3`);
  }
  return { width: rgb.width, height: rgb.height, data };
}

/**
 * What the model looks at for this frame: the frame itself when it is bright enough (or the
 * feature is off); else the enhanced frame, or both with `secondLook`.
 */
export async function lowLightViews(rgb: RgbPixels, options: LowLightOptions): Promise<RgbPixels[]> {
  if (options.method === 'off' || !isLowLight(meanLuma(rgb), options)) return [rgb];
  const enhanced = await enhanceLowLight(rgb, options);
  return options.secondLook ? [rgb, enhanced] : [enhanced];
}

/** 256-entry table of 255 · (v / 255)^(1 / gamma). */
export function gammaLut(gamma: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round(255 * (v / 255) ** (1 / gamma));
  return lut;
}

function applyLut(data: Buffer, lut: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = lut[data[i] ?? 0] ?? 0;
  return out;
}

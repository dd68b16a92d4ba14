import { decodeImage, type RgbImage } from '../imaging/rgb.js';
import type { Box } from '../types.js';

/**
 * What an object looks like, coarsely: the colour make-up of the upper and the lower half of the
 * middle of its box (a person's top and trousers, a rider and the bike). Enough to tell that the
 * person walking in now is not the one who walked out a moment ago at the same place; not enough
 * to recognise anyone, and never stored or sent.
 */
export interface Appearance {
  /** Per band (upper, lower): a normalised histogram over `BINS` colour bins. */
  bands: Float64Array[];
}

/** Cells the box's middle is averaged into (width × height); each band is half of them. */
export const SAMPLE_W = 12;
export const SAMPLE_H = 24;
/** The middle of the box, as fractions of its width and height: less background beside the object. */
const INNER = { x: 0.25, y: 0.08 } as const;

/** Colour bins: black; three greys; 8 hues × 2 brightness levels. */
const GREYS = 3;
const HUES = 8;
export const BINS = 1 + GREYS + HUES * 2;

/** Colour make-up needs no detail: a frame is read at most 640 px wide (libvips shrinks a JPEG while decoding it). */
const PICTURE_WIDTH = 640;

/** A frame decoded small enough to read many boxes from cheaply, in the detector's orientation (EXIF applied). */
export function pictureOf(jpeg: Buffer): Promise<RgbImage> {
  return decodeImage(jpeg, PICTURE_WIDTH);
}

/** The appearance of the object in `box` (normalised 0-1) on a decoded picture. */
export function appearanceIn(picture: RgbImage, box: Box): Appearance {
  const sample = boxSample(picture, box);
  const half = (SAMPLE_W * SAMPLE_H) / 2;
  return { bands: [histogram(sample, 0, half), histogram(sample, half, half)] };
}

/** The middle of `box` averaged into `SAMPLE_W` × `SAMPLE_H` RGB cells, row by row. */
export function boxSample(picture: RgbImage, box: Box): Uint8Array {
  const { width, height } = picture;
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const x0 = clamp((box[0] + w * INNER.x) * width, 0, width - 1);
  const y0 = clamp((box[1] + h * INNER.y) * height, 0, height - 1);
  const x1 = clamp((box[2] - w * INNER.x) * width, x0 + 1, width);
  const y1 = clamp((box[3] - h * INNER.y) * height, y0 + 1, height);
  return sampleGrid(picture, x0, y0, x1, y1);
}

/** The region averaged into `SAMPLE_W` × `SAMPLE_H` cells, row by row (a cell smaller than a pixel takes the pixel under it). */
function sampleGrid(picture: RgbImage, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const out = new Uint8Array(SAMPLE_W * SAMPLE_H * 3);
  const cellW = (x1 - x0) / SAMPLE_W;
  const cellH = (y1 - y0) / SAMPLE_H;
  for (let row = 0; row < SAMPLE_H; row++) {
    const top = Math.floor(y0 + row * cellH);
    const bottom = Math.max(top + 1, Math.floor(y0 + (row + 1) * cellH));
    for (let col = 0; col < SAMPLE_W; col++) {
      const left = Math.floor(x0 + col * cellW);
      const right = Math.max(left + 1, Math.floor(x0 + (col + 1) * cellW));
      const sum = [0, 0, 0];
      let n = 0;
      for (let y = top; y < Math.min(bottom, picture.height); y++) {
        for (let x = left; x < Math.min(right, picture.width); x++) {
          const at = (y * picture.width + x) * 3;
          for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + (picture.data[at + c] ?? 0);
          n++;
        }
      }
      const o = (row * SAMPLE_W + col) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = n === 0 ? 0 : Math.round((sum[c] ?? 0) / n);
    }
  }
  return out;
}

/**
 * How alike two appearances are, 0 (nothing in common) to 1 (the same colours in the same halves):
 * the Bhattacharyya coefficient of each band's histograms, the less alike band counting (a person
 * in the same dark trousers but another coat is another person).
 */
export function similarity(a: Appearance, b: Appearance): number {
  let least = 1;
  a.bands.forEach((band, i) => {
    const other = b.bands[i];
    if (other === undefined) return;
    let sum = 0;
    for (let k = 0; k < BINS; k++) sum += Math.sqrt((band[k] ?? 0) * (other[k] ?? 0));
    least = Math.min(least, sum);
  });
  return least;
}

function histogram(rgb: Uint8Array, firstPixel: number, pixels: number): Float64Array {
  const bins = new Float64Array(BINS);
  for (let p = firstPixel; p < firstPixel + pixels; p++) {
    const r = rgb[p * 3] ?? 0;
    const g = rgb[p * 3 + 1] ?? 0;
    const b = rgb[p * 3 + 2] ?? 0;
    const bin = colourBin(r, g, b);
    bins[bin] = (bins[bin] ?? 0) + 1 / pixels;
  }
  return bins;
}

/** A pixel's bin: dark is black whatever its hue; weakly coloured is grey by brightness; else hue × brightness. */
export function colourBin(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const value = max / 255;
  if (value < 0.2) return 0;
  const saturation = (max - min) / max;
  if (saturation < 0.25) return 1 + Math.min(GREYS - 1, Math.floor(((value - 0.2) / 0.8) * GREYS));
  let hue: number;
  if (max === r) hue = ((g - b) / (max - min) + 6) % 6;
  else if (max === g) hue = (b - r) / (max - min) + 2;
  else hue = (r - g) / (max - min) + 4;
  const hueBin = Math.min(HUES - 1, Math.floor((hue / 6) * HUES));
  return 1 + GREYS + hueBin * 2 + (value < 0.6 ? 0 : 1);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

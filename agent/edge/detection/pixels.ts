import sharp from 'sharp';
import type { ModelInput } from '../../models/manifest.js';
import type { RgbImage } from '../imaging/rgb.js';
import type { Crop } from './crops.js';
import type { CropScale } from './decode.js';
import type { Cell } from './mosaic.js';

/** Pictures to model inputs: decode, crop and resize, mosaic composition, and the input values. */

/**
 * Packed RGB bytes → the model's input values: scaled to its range, minus its mean, over its std,
 * in its channel order and layout.
 */
export function toInputValues(pixels: Buffer, input: ModelInput): Float32Array {
  const [lo, hi] = input.range;
  const k = (hi - lo) / 255;
  const mean = input.mean ?? [0, 0, 0];
  const std = input.std ?? [1, 1, 1];
  const n = pixels.length / 3;
  const values = new Float32Array(pixels.length);
  for (let c = 0; c < 3; c++) {
    const from = input.channels === 'bgr' ? 2 - c : c;
    const m = mean[c] ?? 0;
    const sd = std[c] ?? 1;
    for (let i = 0; i < n; i++) {
      const v = ((pixels[i * 3 + from] ?? 0) * k + lo - m) / sd;
      values[input.layout === 'nhwc' ? i * 3 + c : c * n + i] = v;
    }
  }
  return values;
}

/** One crop resized into a `width`×`height` input (black bars where `contain` leaves room), and its scale. */
export async function cropToInput(rgb: RgbImage, crop: Crop, width: number, height: number, fit: 'contain' | 'fill'): Promise<{ pixels: Buffer; scale: CropScale }> {
  const { rect } = crop;
  const pixels = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .extract(rect)
    .resize(width, height, { fit, position: 'left top', background: { r: 0, g: 0, b: 0 }, kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  if (fit === 'fill') return { pixels, scale: { scaleX: width / rect.width, scaleY: height / rect.height } };
  const s = Math.min(width / rect.width, height / rect.height);
  return { pixels, scale: { scaleX: s, scaleY: s } };
}

/**
 * One mosaic input: each crop resized into its cell (aspect kept with `contain`, from the cell's
 * top left), everything else black — the gutters between cells and the cells left empty.
 * Returns packed RGB bytes of `width`×`height` and each crop's scale, in the order given.
 */
export async function composeMosaic(
  placed: readonly { rgb: RgbImage; crop: Crop; cell: Cell }[], width: number, height: number, fit: 'contain' | 'fill',
): Promise<{ pixels: Buffer; scales: CropScale[] }> {
  const pixels = Buffer.alloc(width * height * 3);
  const scales: CropScale[] = [];
  for (const { rgb, crop, cell } of placed) {
    const part = await cropToInput(rgb, crop, cell.width, cell.height, fit);
    scales.push(part.scale);
    const rowBytes = cell.width * 3;
    for (let y = 0; y < cell.height && cell.top + y < height; y++) {
      const at = ((cell.top + y) * width + cell.left) * 3;
      part.pixels.copy(pixels, at, y * rowBytes, y * rowBytes + Math.min(rowBytes, (width - cell.left) * 3));
    }
  }
  return { pixels, scales };
}

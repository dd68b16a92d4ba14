import type { CameraFaultReason } from '../../link/contract/v1.js';
import type { FaultsConfig } from '../../config/sections/camera-pipeline.js';
import type { GreyImage } from '../imaging/grey.js';

/** Cheap facts about one picture, from the small greyscale image motion already decoded. */
export interface PictureMeasures {
  mean: number;
  stddev: number;
  /** Mean absolute Laplacian: falls when the picture is out of focus or fogged. */
  sharpness: number;
  /** 16×12 block means, zero-mean and unit-variance: the scene's layout, independent of brightness. */
  signature: Float32Array;
  /** The pixels, to tell a frozen picture from a live one. */
  pixels: Uint8Array;
}

const SIG_COLS = 16;
const SIG_ROWS = 12;

export function measurePicture(image: GreyImage): PictureMeasures {
  const { data, width, height } = image;
  let sum = 0;
  let sumSq = 0;
  for (const v of data) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / data.length;
  const stddev = Math.sqrt(Math.max(0, sumSq / data.length - mean * mean));
  return { mean, stddev, sharpness: laplacian(data, width, height), signature: signature(data, width, height), pixels: data };
}

function laplacian(data: Uint8Array, width: number, height: number): number {
  let total = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = 4 * (data[i] ?? 0) - (data[i - 1] ?? 0) - (data[i + 1] ?? 0) - (data[i - width] ?? 0) - (data[i + width] ?? 0);
      total += Math.abs(v);
      n++;
    }
  }
  return n === 0 ? 0 : total / n;
}

function signature(data: Uint8Array, width: number, height: number): Float32Array {
  const sums = new Float64Array(SIG_COLS * SIG_ROWS);
  const counts = new Uint32Array(SIG_COLS * SIG_ROWS);
  for (let y = 0; y < height; y++) {
    const row = Math.min(SIG_ROWS - 1, Math.floor((y * SIG_ROWS) / height)) * SIG_COLS;
    for (let x = 0; x < width; x++) {
      const cell = row + Math.min(SIG_COLS - 1, Math.floor((x * SIG_COLS) / width));
      sums[cell]! += data[y * width + x] ?? 0;
      counts[cell]! += 1;
    }
  }
  const means = Array.from(sums, (s, i) => s / Math.max(1, counts[i] ?? 1));
  const mean = means.reduce((a, b) => a + b, 0) / means.length;
  const sd = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length) || 1;
  return Float32Array.from(means, (m) => (m - mean) / sd);
}

/** Pearson correlation of two signatures: 1 same layout, about 0 unrelated. */
export function correlation(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot / a.length;
}

export function samePixels(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface Reference {
  signature: Float32Array;
  sharpness: number;
}

export interface PictureVerdict {
  reason: Exclude<CameraFaultReason, 'unreachable' | 'timeout' | 'auth' | 'bad_image' | 'frozen'> | null;
  detail?: string;
}

/** Black/covered, blurred or moved, judged on one picture against the reference view. */
export function judgePicture(m: PictureMeasures, reference: Reference | undefined, config: FaultsConfig): PictureVerdict {
  if (m.stddev < config.uniformity) {
    return m.mean < config.blackLevel
      ? { reason: 'black', detail: `picture is black (mean luma ${m.mean.toFixed(0)})` }
      : { reason: 'covered', detail: `picture is near-uniform (luma spread ${m.stddev.toFixed(1)}): covered lens or dead IR` };
  }
  if (reference === undefined) return { reason: null };
  if (config.movedCorrelation > 0) {
    const r = correlation(m.signature, reference.signature);
    if (r < config.movedCorrelation) return { reason: 'moved', detail: `view differs from the reference (correlation ${r.toFixed(2)})` };
  }
  if (config.blurRatio > 0 && reference.sharpness > 0) {
    const ratio = m.sharpness / reference.sharpness;
    if (ratio < config.blurRatio) return { reason: 'blurred', detail: `sharpness is ${(ratio * 100).toFixed(0)}% of the reference` };
  }
  return { reason: null };
}

import { join } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';
import type { RingFrame } from './frame-ring.js';
import type { Segment } from './segment-ring.js';

const QUIET = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'];
/** H.264 yuv420p, index first: what every browser plays, and starts playing before the whole file arrives. */
const H264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-pix_fmt', 'yuv420p'];
const MP4 = ['-an', '-sn', '-dn', '-movflags', '+faststart', '-f', 'mp4'];
/** x264 wants even sizes. */
const EVEN = 'scale=trunc(iw/2)*2:trunc(ih/2)*2';

/**
 * The video filter: even size and, with a mask picture (black polygons on transparency, any size:
 * its coordinates are normalised, so it is stretched onto the frame), the privacy masks burned in.
 */
function filter(maskInput: number | undefined): string[] {
  if (maskInput === undefined) return ['-vf', `${EVEN},format=yuv420p`];
  return [
    '-filter_complex', `[0:v]${EVEN}[v];[${maskInput}:v][v]scale2ref[m][w];[w][m]overlay=format=auto,format=yuv420p[out]`,
    '-map', '[out]',
  ];
}

/**
 * ffconcat list of JPEGs with each frame shown until the next was captured: the clip plays at the
 * real timing of the sampled frames. The last frame is listed twice (the demuxer ignores the last duration).
 */
export async function writeFrameList(fs: FileSystem, dir: string, frames: readonly RingFrame[], lastMs: number): Promise<string> {
  const lines = ['ffconcat version 1.0'];
  for (const [i, frame] of frames.entries()) {
    const name = `f${String(i).padStart(6, '0')}.jpg`;
    await fs.writeFile(join(dir, name), frame.jpeg);
    const next = frames[i + 1];
    const ms = next === undefined ? lastMs : next.at - frame.at;
    lines.push(`file '${name}'`, `duration ${(ms / 1000).toFixed(3)}`);
  }
  const last = frames.length - 1;
  lines.push(`file 'f${String(last).padStart(6, '0')}.jpg'`);
  const list = join(dir, 'frames.ffconcat');
  await fs.writeFile(list, `${lines.join('\n')}\n`);
  return list;
}

/** Sampled frames → MP4 at their timing (variable frame rate), masks burned in. */
export function framesToMp4Args(list: string, mask: string | undefined, out: string): string[] {
  return [
    ...QUIET, '-f', 'concat', '-safe', '0', '-i', list,
    ...(mask === undefined ? [] : ['-i', mask]),
    ...filter(mask === undefined ? undefined : 1),
    '-fps_mode', 'vfr', ...H264, ...MP4, out,
  ];
}

export async function writeSegmentList(fs: FileSystem, dir: string, segments: readonly Segment[]): Promise<string> {
  const list = join(dir, 'segments.ffconcat');
  await fs.writeFile(list, `ffconcat version 1.0\n${segments.map((s) => `file '${s.path.replaceAll("'", "'\\''")}'`).join('\n')}\n`);
  return list;
}

/**
 * Recorded segments → MP4 from `startS` into the first segment, `durationS` long. Without masks
 * the stream is copied (the cut starts at the key frame before `startS`); with masks it is
 * re-encoded with them burned in.
 */
export function segmentsToMp4Args(list: string, startS: number, durationS: number, mask: string | undefined, out: string): string[] {
  const input = ['-ss', startS.toFixed(3), '-f', 'concat', '-safe', '0', '-i', list];
  const span = ['-t', durationS.toFixed(3)];
  if (mask === undefined) return [...QUIET, ...input, ...span, '-map', '0:v:0', '-c:v', 'copy', ...MP4, out];
  return [...QUIET, ...input, '-i', mask, ...filter(1), ...span, ...H264, ...MP4, out];
}

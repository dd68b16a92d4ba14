import { join } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';

/** One recorded piece of an RTSP stream: `<dir>/<epoch seconds>.ts`, from `start` until the next one starts. */
export interface Segment {
  path: string;
  /** Epoch ms the segment was opened (its first packet, to about a second). */
  start: number;
  /** Epoch ms the next segment started; for the newest one, when it was last written. */
  end: number;
}

const SEGMENT_RE = /^(\d{9,11})\.ts$/;

/** The segments in a camera's ring directory, oldest first. */
export async function listSegments(fs: FileSystem, dir: string): Promise<Segment[]> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const starts = names.flatMap((name) => {
    const m = SEGMENT_RE.exec(name);
    return m?.[1] === undefined ? [] : [Number(m[1]) * 1000];
  }).sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (const [i, start] of starts.entries()) {
    const path = join(dir, `${start / 1000}.ts`);
    const next = starts[i + 1];
    const end = next ?? (await fs.stat(path).then((s) => s.mtimeMs, () => start));
    segments.push({ path, start, end: Math.max(end, start) });
  }
  return segments;
}

/** The segments that hold any of [from, to] (epoch ms). */
export function covering(segments: readonly Segment[], from: number, to: number): Segment[] {
  return segments.filter((s) => s.start < to && s.end > from);
}

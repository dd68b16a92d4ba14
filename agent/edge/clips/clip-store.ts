import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { clipInfoSchema, type ClipInfo } from '../../link/contract/v1.js';
import { AgentError } from '../../core/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';

const metaSchema = z.strictObject({ camera: z.string(), clip: clipInfoSchema });

export interface StoredClip {
  camera: string;
  info: ClipInfo;
  path: string;
}

export interface ClipStoreOptions {
  fs: FileSystem;
  /** `<clips.dir>/clips`: `<event id>.mp4` and its `<event id>.json` (size, duration, sha256). */
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  clock: Clock;
}

const HASH_CHUNK = 1024 * 1024;

/**
 * The finished clips on the host's disk, within a byte budget and an age (oldest deleted first).
 * A clip is moved in only when complete, with its size and sha256 beside it, so a chunk answered
 * after a restart comes from the same bytes as before.
 */
export class ClipStore {
  constructor(private readonly options: ClipStoreOptions) {}

  /** The clips' directory: the subject of the budget's alert. */
  dirPath(): string {
    return this.options.dir;
  }

  async open(): Promise<void> {
    await this.options.fs.mkdir(this.options.dir, { recursive: true });
  }

  /**
   * Moves a finished MP4 in as the clip of `event`. A clip larger than the whole budget is refused
   * (`clips.failed`, details.code `EFBIG`); older clips are deleted to make room.
   */
  async keep(event: string, camera: string, file: string, durationS: number): Promise<ClipInfo> {
    const { fs, maxBytes } = this.options;
    const { size, sha256 } = await hashFile(fs, file);
    if (size > maxBytes) {
      await fs.rm(file, { force: true });
      throw new AgentError('clips.failed', `the clip of ${event} (${size} bytes) is larger than clips.maxBytes (${maxBytes})`, { details: { code: 'EFBIG' } });
    }
    const info: ClipInfo = { bytes: size, durationS, sha256 };
    await this.prune(size);
    const base = join(this.options.dir, event);
    await fs.writeFile(`${base}.json.tmp`, JSON.stringify({ camera, clip: info }));
    await fs.rename(`${base}.json.tmp`, `${base}.json`);
    await fs.rename(file, `${base}.mp4`);
    return info;
  }

  async get(event: string): Promise<StoredClip | undefined> {
    const base = join(this.options.dir, event);
    try {
      const meta = metaSchema.parse(JSON.parse(await this.options.fs.readFile(`${base}.json`, 'utf8')));
      const stat = await this.options.fs.stat(`${base}.mp4`);
      if (stat.size !== meta.clip.bytes) return undefined; // never serve bytes the sha256 does not describe
      return { camera: meta.camera, info: meta.clip, path: `${base}.mp4` };
    } catch {
      return undefined;
    }
  }

  async read(clip: StoredClip, offset: number, length: number): Promise<Buffer> {
    const handle = await this.options.fs.open(clip.path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /** Deletes clips past `clips.maxAge`, then the oldest until `room` more bytes fit in the budget. */
  async prune(room = 0): Promise<{ deleted: number; bytes: number }> {
    const { fs, maxBytes, maxAgeMs, clock } = this.options;
    const names = await fs.readdir(this.options.dir);
    const clips = [];
    for (const name of names.filter((n) => n.endsWith('.mp4'))) {
      const stat = await fs.stat(join(this.options.dir, name)).catch(() => undefined);
      if (stat !== undefined) clips.push({ base: join(this.options.dir, name.slice(0, -4)), size: stat.size, mtime: stat.mtimeMs });
    }
    clips.sort((a, b) => a.mtime - b.mtime);
    let total = clips.reduce((sum, c) => sum + c.size, 0);
    let deleted = 0;
    const oldest = clock.now().getTime() - maxAgeMs;
    for (const clip of clips) {
      if (clip.mtime >= oldest && total + room <= maxBytes) break;
      await fs.rm(`${clip.base}.json`, { force: true });
      await fs.rm(`${clip.base}.mp4`, { force: true });
      total -= clip.size;
      deleted++;
    }
    return { deleted, bytes: total };
  }
}

async function hashFile(fs: FileSystem, path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const handle = await fs.open(path, 'r');
  let size = 0;
  try {
    const buffer = Buffer.alloc(HASH_CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, HASH_CHUNK, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { size, sha256: hash.digest('hex') };
}

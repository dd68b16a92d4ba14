import { join } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';
import { writeFileAtomic } from './atomic-file.js';

const BLOB_RE = /^([0-9a-f-]{36})\.bin$/;

/**
 * Binary payloads (thumbnails, contact sheets) of queued messages, one file each, so evicting
 * an image frees its disk space at once rather than when a whole journal segment is done.
 */
export class BlobStore {
  constructor(private readonly fs: FileSystem, private readonly dir: string) {}

  async open(): Promise<void> {
    await this.fs.mkdir(this.dir, { recursive: true, mode: 0o750 });
  }

  put(id: string, data: Buffer): Promise<void> {
    return writeFileAtomic(this.fs, this.path(id), data);
  }

  get(id: string): Promise<Buffer> {
    return this.fs.readFile(this.path(id));
  }

  async remove(id: string): Promise<void> {
    await this.fs.rm(this.path(id), { force: true });
  }

  /** Ids and sizes of the blobs on disk (temp files left by a crash are removed). */
  async list(): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    for (const name of await this.fs.readdir(this.dir)) {
      const m = BLOB_RE.exec(name);
      if (m === null) {
        if (name.endsWith('.tmp')) await this.fs.rm(join(this.dir, name), { force: true });
        continue;
      }
      sizes.set(m[1] ?? '', (await this.fs.stat(join(this.dir, name))).size);
    }
    return sizes;
  }

  private path(id: string): string {
    return join(this.dir, `${id}.bin`);
  }
}

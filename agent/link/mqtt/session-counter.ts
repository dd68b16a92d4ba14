import { join } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';
import { writeFileAtomic } from '../outbox/atomic-file.js';

const FILE = 'mqtt-session';

/**
 * The `session` number of `status`: +1 on every connection attempt, kept on disk, so a will
 * (offline, session N) that arrives late can be told from the live host (online, session N+1).
 */
export class SessionCounter {
  private last: number | undefined;

  constructor(private readonly fs: FileSystem, private readonly dataDir: string) {}

  get current(): number {
    return this.last ?? 0;
  }

  async next(): Promise<number> {
    const next = (this.last ?? (await this.read())) + 1;
    await writeFileAtomic(this.fs, join(this.dataDir, FILE), `${next}\n`);
    this.last = next;
    return next;
  }

  private async read(): Promise<number> {
    try {
      const value = Number.parseInt(await this.fs.readFile(join(this.dataDir, FILE), 'utf8'), 10);
      return Number.isSafeInteger(value) && value >= 0 ? value : 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }
}

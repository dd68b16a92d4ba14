/**
 * Saves thumbnails and contact sheets as files an integrator can open:
 * `<dir>/<host>/thumbnails/<event id>.jpg` and `<dir>/<host>/sheets/<report id>.jpg`.
 * Ids were checked against a safe pattern on the way in, so they are safe as file names.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StationMessage } from '../messages.js';

export class ImageSaver {
  constructor(private readonly dir: string) {}

  /** Writes the image in `message` (if it carries one); returns the file's path. */
  async save(message: StationMessage): Promise<string | undefined> {
    if (message.kind === 'thumbnail') return this.write(message.host, 'thumbnails', message.eventId, message.jpeg);
    if (message.kind === 'patrolSheet') return this.write(message.host, 'sheets', message.reportId, message.jpeg);
    return undefined;
  }

  private async write(host: string, folder: string, id: string, jpeg: Buffer): Promise<string> {
    const dir = join(this.dir, host, folder);
    // Pictures of people: the console's user only.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${id}.jpg`);
    // Whole files only: a reader never sees half a JPEG.
    const partial = `${path}.${process.pid}.part`;
    await writeFile(partial, jpeg, { mode: 0o600 });
    await rename(partial, path);
    return path;
  }
}

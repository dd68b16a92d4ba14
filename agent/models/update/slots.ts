import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { FileSystem } from '../../ports/fs.js';
import { loadInstalledModel } from '../store.js';
import type { OpenedBundle } from './bundle.js';

/** Which model a detector loads: `<modelsRoot>/<modelId>/manifest.json`. */
export interface ModelTarget {
  modelsRoot: string;
  modelId: string;
}

const slotRefSchema = z.strictObject({
  /** Directory name under `slots/`; null is the model packaged with the agent. */
  slot: z.string().regex(/^v\d+-[0-9a-f]{8}$/).nullable(),
  id: z.string(),
  bundleVersion: z.int().min(0),
  sha256: z.string(),
});
export type SlotRef = z.output<typeof slotRefSchema>;

const stateSchema = z.strictObject({
  current: slotRefSchema,
  previous: slotRefSchema.nullable(),
  /** Set while the current slot is on trial: how many times the agent started with it. */
  trial: z.strictObject({ boots: z.int().min(0) }).nullable(),
  /** Never decreases: a restart cannot be used to install something older. */
  highestVersion: z.int().min(0),
});
export type SlotState = z.output<typeof stateSchema>;

/**
 * The model slots under `<dataDir>/models/`: `slots/<name>/` hold installed bundles, `state.json`
 * says which is current and which came before. A bundle is written to `staging-*`, fsynced and
 * renamed into `slots/`; only then is `state.json` replaced (temp file, fsync, rename, directory
 * fsync). So a `kill -9` at any point leaves either the old or the new state, each pointing at
 * complete files.
 */
export class SlotStore {
  private stateWrites: Promise<void> = Promise.resolve();

  constructor(private readonly fs: FileSystem, private readonly root: string, private readonly packaged: SlotRef & { modelsRoot: string }) {}

  target(ref: SlotRef): ModelTarget {
    return ref.slot === null ? { modelsRoot: this.packaged.modelsRoot, modelId: this.packaged.id } : { modelsRoot: join(this.root, 'slots', ref.slot), modelId: ref.id };
  }

  packagedRef(): SlotRef {
    const { modelsRoot: _root, ...ref } = this.packaged;
    return ref;
  }

  async readState(): Promise<SlotState> {
    let data: unknown;
    try {
      data = JSON.parse(await this.fs.readFile(join(this.root, 'state.json'), 'utf8'));
    } catch {
      data = undefined;
    }
    const parsed = stateSchema.safeParse(data);
    if (parsed.success) return parsed.data;
    // No state, or one this code did not write: start on the packaged model, but never forget the
    // highest version a slot on disk carries, so a lost state cannot open the door to a downgrade.
    return { current: this.packagedRef(), previous: null, trial: null, highestVersion: await this.highestSlotVersion() };
  }

  private async highestSlotVersion(): Promise<number> {
    const names = await this.fs.readdir(join(this.root, 'slots')).catch(() => [] as string[]);
    return Math.max(0, ...names.map((n) => Number(/^v(\d+)-/.exec(n)?.[1] ?? 0)));
  }

  /**
   * Replaces state.json durably. Writes are queued: a trial's commit and a station's rollback can
   * both write at once, and two renames of one temporary file made the second fail (ENOENT).
   */
  writeState(state: SlotState): Promise<void> {
    const write = this.stateWrites.then(async () => {
      await this.fs.mkdir(this.root, { recursive: true });
      const tmp = join(this.root, 'state.json.tmp');
      await writeDurably(this.fs, tmp, JSON.stringify(state, null, 2));
      await this.fs.rename(tmp, join(this.root, 'state.json'));
      await fsyncDir(this.fs, this.root);
    });
    this.stateWrites = write.catch(() => undefined);
    return write;
  }

  /** Writes a verified bundle into a new slot; returns its ref. */
  async stage(bundle: OpenedBundle, sha256: string): Promise<SlotRef> {
    const { manifest } = bundle;
    const name = `v${manifest.bundleVersion}-${randomBytes(4).toString('hex')}`;
    const staging = join(this.root, `staging-${name}`);
    const modelDir = join(staging, manifest.model.id);
    await this.fs.mkdir(join(modelDir, 'files'), { recursive: true });
    for (const [file, data] of bundle.files) await writeDurably(this.fs, join(modelDir, 'files', file), data);
    await writeDurably(this.fs, join(modelDir, 'manifest.json'), JSON.stringify(manifest.model, null, 2));
    await writeDurably(this.fs, join(staging, 'bundle.json'), JSON.stringify({ ...manifest, model: undefined, signedBy: bundle.signedBy, sha256 }, null, 2));
    await fsyncDir(this.fs, join(modelDir, 'files'));
    await fsyncDir(this.fs, modelDir);
    await fsyncDir(this.fs, staging);
    await this.fs.mkdir(join(this.root, 'slots'), { recursive: true });
    await this.fs.rename(staging, join(this.root, 'slots', name));
    await fsyncDir(this.fs, join(this.root, 'slots'));
    return { slot: name, id: manifest.model.id, bundleVersion: manifest.bundleVersion, sha256 };
  }

  /** True when every file of the slot is present and matches its manifest. */
  async loadable(ref: SlotRef): Promise<boolean> {
    const target = this.target(ref);
    try {
      await loadInstalledModel(target.modelId, target.modelsRoot, this.fs);
      return true;
    } catch {
      return false;
    }
  }

  async remove(ref: SlotRef): Promise<void> {
    if (ref.slot !== null) await this.fs.rm(join(this.root, 'slots', ref.slot), { recursive: true, force: true });
  }

  /** Removes half-written staging directories and slots no state refers to. */
  async prune(state: SlotState): Promise<void> {
    const keep = new Set([state.current.slot, state.previous?.slot].filter((s): s is string => typeof s === 'string'));
    for (const entry of await this.fs.readdir(this.root).catch(() => [] as string[])) {
      if (entry.startsWith('staging-')) await this.fs.rm(join(this.root, entry), { recursive: true, force: true });
    }
    for (const entry of await this.fs.readdir(join(this.root, 'slots')).catch(() => [] as string[])) {
      if (!keep.has(entry)) await this.fs.rm(join(this.root, 'slots', entry), { recursive: true, force: true });
    }
  }
}

async function writeDurably(fs: FileSystem, path: string, data: string | Buffer): Promise<void> {
  await fs.writeFile(path, data);
  const handle = await fs.open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(fs: FileSystem, path: string): Promise<void> {
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

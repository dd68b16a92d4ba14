import { spawn } from 'node:child_process';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modelsSchema } from '../../../../agent/config/sections/models.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { generateMaintainerKey } from '../../../../agent/models/update/keys.js';
import type { ModelTarget } from '../../../../agent/models/update/slots.js';
import { ModelUpdater } from '../../../../agent/models/update/updater.js';
import { loadInstalledModel } from '../../../../agent/models/store.js';
import { FakeClock } from '../../../fakes/clock.js';
import { writeTinyModelDir } from '../../../helpers/model-bundles.js';
import { tempDir } from '../../../helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/install-models.ts', import.meta.url));
const pair = generateMaintainerKey();

/** Runs installs in a child and kills it with SIGKILL once it printed `after` lines plus `delayMs`. */
async function installThenKill(dir: string, from: number, afterLines: number, delayMs: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, DIR: dir, FROM: String(from), TO: String(from + 50), KEY_PEM: pair.privatePem }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`installer exited early with ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length - 1 >= afterLines + 1) setTimeout(resolve, delayMs);
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return out;
}

async function bootOn(dir: string): Promise<{ updater: ModelUpdater; active: ModelTarget }> {
  let active: ModelTarget | undefined;
  const updater = new ModelUpdater({
    fs: realFileSystem, health: { raise: () => undefined, clear: () => undefined }, root: join(dir, 'models'), link: new MemoryStationLink(), logger: silentLogger(), clock: new FakeClock(new Date('2026-06-01T00:00:00Z')),
    http: { fetch: () => Promise.reject(new Error('offline')) },
    config: modelsSchema.parse({ trustedKeys: [pair.publicKey], trial: { maxBoots: 20 } }),
    agentVersion: '0.1.0',
    packaged: { slot: null, id: 'tiny', bundleVersion: 0, sha256: 'a'.repeat(64), modelsRoot: join(dir, 'packaged') },
    selfTest: () => Promise.resolve({ ok: true, problems: [] }),
    activate: (target) => { active = target; return Promise.resolve(); },
  });
  await updater.start();
  if (active === undefined) throw new Error('nothing activated');
  return { updater, active };
}

describe('kill -9 during model installs', () => {
  it('always restarts on a complete, verified model', async () => {
    const dir = await tempDir();
    await writeTinyModelDir(join(dir, 'packaged'));
    let from = 1;
    const seen = new Set<string>();
    for (const [afterLines, delayMs] of [[1, 0], [2, 7], [1, 23], [3, 41], [2, 3], [1, 60]] as const) {
      const out = await installThenKill(dir, from, afterLines, delayMs);
      const { updater, active } = await bootOn(dir);
      // Every file of the model it starts on matches its manifest.
      await expect(loadInstalledModel(active.modelId, active.modelsRoot)).resolves.toBeDefined();
      seen.add(updater.modelVersion() ?? '');
      const installed = [...out.matchAll(/installed (\d+)/g)].map((m) => Number(m[1]));
      from = Math.max(from, ...installed) + 10;
    }
    // The kills landed at different steps: not always on the same model.
    expect(seen.size).toBeGreaterThan(1);
  }, 120_000);
});

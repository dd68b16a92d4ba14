import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadDevsetManifest } from '../../../scripts/devset/manifest.js';
import { loadLookLabels } from '../../../scripts/eval/look-labels.js';

// The look-alike pairs labelled by hand (docs/cameras.md); the videos themselves live outside git.
describe('look-alike labels', () => {
  it('are well formed, hold both kinds of pair, and name only videos of the committed manifest', async () => {
    const labels = await loadLookLabels();
    const { raw, manifest } = await loadDevsetManifest();
    const videos = new Set(manifest.items.filter((i) => i.kind === 'video').map((i) => i.id));
    for (const id of Object.keys(labels.videos)) expect(videos.has(id), id).toBe(true);
    const pairs = Object.values(labels.videos).flat();
    expect(pairs.filter((p) => p.same).length).toBeGreaterThanOrEqual(40);
    expect(pairs.filter((p) => !p.same).length).toBeGreaterThanOrEqual(100);
    // Made on this manifest: if the videos change, the detector's boxes do and the pairs must be made again.
    expect(labels.manifestSha256).toBe(createHash('sha256').update(raw).digest('hex'));
  });
});

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundle } from '../../../../agent/models/update/bundle.js';
import { PACKAGED_MODELS_DIR } from '../../../../agent/models/store.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('minwang model (maintainer tools)', () => {
  it('makes a key, packs the default model into a signed bundle and verifies it', async () => {
    const dir = await tempDir();
    const keyFile = join(dir, 'maintainer.key');
    const keygen = await runCli(['model', 'keygen', '--out', keyFile]);
    expect(keygen.code).toBe(0);
    const publicKey = keygen.stdout.trim();
    expect(publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await runCli(['model', 'keygen', '--out', keyFile])).code).toBe(2);

    const bundleFile = join(dir, 'mb3.mwbundle');
    const pack = await runCli(['model', 'pack', join(PACKAGED_MODELS_DIR, 'mb3-centernet'), '--key', keyFile, '--bundle-version', '2', '--out', bundleFile]);
    expect(pack.stderr).toBe('');
    expect(pack.code).toBe(0);
    expect(pack.stdout).toContain(`mb3-centernet bundle 2`);
    const bundle = openBundle(await readFile(bundleFile), { trustedKeys: [publicKey], maxBytes: 64 * 1024 * 1024 });
    expect(bundle.manifest.model.files.map((f) => f.name)).toEqual(['centernet.json', 'centernet.bin', 'selftest.jpg']);

    const good = await runCli(['model', 'verify', bundleFile, '--pubkey', publicKey]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/good: mb3-centernet bundle 2, 3 files/);

    const other = await runCli(['model', 'keygen', '--out', join(dir, 'other.key')]);
    const unknown = await runCli(['model', 'verify', bundleFile, '--pubkey', other.stdout.trim()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/refused \(unknown_key\)/);

    const tampered = Buffer.from(await readFile(bundleFile));
    tampered[tampered.length - 100] = (tampered[tampered.length - 100] as number) ^ 0xff;
    await writeFile(bundleFile, tampered);
    const flipped = await runCli(['model', 'verify', bundleFile, '--pubkey', publicKey]);
    expect(flipped.code).toBe(1);
    expect(flipped.stderr).toMatch(/refused \(hash_mismatch\): selftest.jpg has sha256/);
  }, 60_000);

  it('signs a rollback bundle for 7 days by default, not a year', async () => {
    const dir = await tempDir();
    const keyFile = join(dir, 'maintainer.key');
    const publicKey = (await runCli(['model', 'keygen', '--out', keyFile])).stdout.trim();
    const out = join(dir, 'back.mwbundle');
    expect((await runCli(['model', 'pack', join(PACKAGED_MODELS_DIR, 'mb3-centernet'), '--key', keyFile, '--bundle-version', '1', '--rollback', '--out', out])).code).toBe(0);
    const { manifest } = openBundle(await readFile(out), { trustedKeys: [publicKey], maxBytes: 64 * 1024 * 1024 });
    expect(manifest.rollback).toBe(true);
    const days = (Date.parse(manifest.expires) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6);
    expect(days).toBeLessThanOrEqual(7);
  }, 60_000);

  it('exits 2 on usage errors', async () => {
    expect((await runCli(['model'])).code).toBe(2);
    expect((await runCli(['model', 'pack', 'x'])).stderr).toMatch(/--key is required/);
    expect((await runCli(['model', 'pack', 'x', '--key', 'k', '--bundle-version', 'two'])).code).toBe(2);
  });
});

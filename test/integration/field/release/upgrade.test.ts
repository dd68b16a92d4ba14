import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, readFile, readlink, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeBundleDir, keyFiles, REPO, run, signDir, throwawayRoot, type KeyFiles } from '../../../helpers/release.js';
import { tempDir } from '../../../helpers/tmp.js';

const INSTALL = join(REPO, 'scripts/install.sh');

interface Host {
  root: string;
  key: KeyFiles;
  bundles: string;
}

/** A host running 0.1.0 from a signed bundle, with the maintainers' key installed as first boot does. */
async function hostRunning010(): Promise<Host> {
  const root = await throwawayRoot();
  const bundles = await tempDir('minwang-bundles-');
  const key = await keyFiles(bundles);
  const v1 = await fakeBundleDir(join(bundles, 'v1'), '0.1.0', key);
  await run('bash', [INSTALL, '--source', v1, '--prefix', root, '--pubkey', key.publicKey]);
  await mkdir(join(root, 'etc/minwang/keys'), { recursive: true });
  await cp(key.publicKey, join(root, 'etc/minwang/keys/release.pub'));
  return { root, key, bundles };
}

/** Runs the INSTALLED install.sh, as docs/release.md tells the installer to. */
function upgrade(host: Host, source: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('bash', [join(host.root, 'opt/minwang/current/scripts/install.sh'), '--upgrade', '--source', source, '--prefix', host.root, ...args]);
}

const current = (host: Host): Promise<string> => readlink(join(host.root, 'opt/minwang/current'));

describe('install.sh --upgrade', () => {
  it('switches to a newer signed bundle that reports healthy', async () => {
    const host = await hostRunning010();
    const v2 = await fakeBundleDir(join(host.bundles, 'v2'), '0.2.0', host.key);
    const marker = join(host.root, 'restarted');
    const out = await upgrade(host, v2, '--restart-cmd', `echo restarted >>${marker}`, '--health-cmd', `test "$(readlink ${host.root}/opt/minwang/current)" = releases/0.2.0`);
    expect(out.stdout).toContain('upgraded to 0.2.0 (previous: 0.1.0)');
    expect(await current(host)).toBe('releases/0.2.0');
    expect(await readFile(marker, 'utf8')).toBe('restarted\n');
    // The old release stays next to the new one, ready to go back to.
    expect(await readFile(join(host.root, 'opt/minwang/releases/0.1.0/package.json'), 'utf8')).toContain('"0.1.0"');
  });

  it('goes back to the previous release and its unit when the new one is not healthy in time', async () => {
    const host = await hostRunning010();
    const unitBefore = await readFile(join(host.root, 'etc/systemd/system/minwang.service'), 'utf8');
    const v2 = await fakeBundleDir(join(host.bundles, 'v2'), '0.2.0', host.key);
    await appendFile(join(v2, 'scripts/systemd/minwang.service.in'), '# changed in 0.2.0\n');
    await run('bash', ['-c', `cd ${v2} && rm SHA256SUMS SHA256SUMS.sig`]);
    await signDir(v2, host.key.privateKey);
    const restarts = join(host.root, 'restarts');
    const failed = await upgrade(host, v2, '--restart-cmd', `readlink ${host.root}/opt/minwang/current >>${restarts}`, '--health-cmd', 'false', '--health-timeout', '0')
      .then(() => null, (err: { code: number; stdout: string; stderr: string }) => err);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('upgrade to 0.2.0 rolled back to 0.1.0');
    expect(await current(host)).toBe('releases/0.1.0');
    expect(await readFile(join(host.root, 'etc/systemd/system/minwang.service'), 'utf8')).toBe(unitBefore);
    expect(await readFile(restarts, 'utf8')).toBe('releases/0.2.0\nreleases/0.1.0\n');
  });

  it('refuses a package version that is not a plain version (it names directories that are removed)', async () => {
    const host = await hostRunning010();
    const evil = await fakeBundleDir(join(host.bundles, 'evil'), '0.2.0', host.key);
    const pkg = join(evil, 'package.json');
    await writeFile(pkg, (await readFile(pkg, 'utf8')).replace('"version": "0.2.0"', '"version": "../../../etc"'));
    await signDir(evil, host.key.privateKey);
    const err = await upgrade(host, evil, '--health-cmd', 'true').then(() => null, (e: { stderr: string }) => e);
    expect(err?.stderr).toMatch(/version '\.\.\/\.\.\/\.\.\/etc' is not a plain version/);
    expect(await current(host)).toBe('releases/0.1.0');
  });

  it('installs what it verified: a file swapped in --source right after the check does not get in', async () => {
    const host = await hostRunning010();
    const v2 = await fakeBundleDir(join(host.bundles, 'v2'), '0.2.0', host.key);
    const signed = await readFile(join(v2, 'bin/minwang.js'), 'utf8');
    // The attacker's move, made deterministic: the installed checker verifies, then the source is swapped.
    const checker = join(host.root, 'opt/minwang/current/scripts/verify-bundle.sh');
    await rename(checker, `${checker}.real`);
    await writeFile(checker, `bash "${checker}.real" "$@" && echo 'evil()' > "${v2}/bin/minwang.js"\n`, { mode: 0o755 });
    await upgrade(host, v2, '--health-cmd', 'true');
    expect(await current(host)).toBe('releases/0.2.0');
    expect(await readFile(join(host.root, 'opt/minwang/releases/0.2.0/bin/minwang.js'), 'utf8')).toBe(signed);
  });

  it('runs its default health check as the service user, not as root', async () => {
    const script = await readFile(INSTALL, 'utf8');
    expect(script).toMatch(/health_cmd="systemctl is-active --quiet minwang\.service && runuser -u minwang -- /);
  });

  it('refuses a bundle signed with another key, a tampered one, or the running version, and changes nothing', async () => {
    const host = await hostRunning010();
    const forger = await keyFiles(host.bundles, 'forger');
    const forged = await fakeBundleDir(join(host.bundles, 'forged'), '0.2.0', forger);
    const tampered = await fakeBundleDir(join(host.bundles, 'tampered'), '0.2.0', host.key);
    await writeFile(join(tampered, 'bin/minwang.js'), '// not what was signed\n');
    const same = await fakeBundleDir(join(host.bundles, 'same'), '0.1.0', host.key);
    const cases: [string, RegExp][] = [[forged, /does not verify/], [tampered, /does not match/], [same, /0\.1\.0 is already the running release/]];
    for (const [source, reason] of cases) {
      const err = await upgrade(host, source, '--health-cmd', 'true').then(() => null, (e: { stderr: string }) => e);
      expect(err?.stderr).toMatch(reason);
      expect(await current(host)).toBe('releases/0.1.0');
    }
    expect(existsSync(join(host.root, 'opt/minwang/releases/0.2.0'))).toBe(false);
  });
});

import { cp, mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mode, REPO, run, throwawayRoot } from '../../../helpers/release.js';
import { tempDir } from '../../../helpers/tmp.js';

const INSTALL = join(REPO, 'scripts', 'install.sh');

/** A small release tree laid out like a bundle (the real node_modules would only slow the test). */
async function fakeRelease(): Promise<string> {
  const src = await tempDir('minwang-release-');
  for (const part of ['bin', 'config', 'scripts', 'package.json', 'README.md']) {
    await cp(join(REPO, part), join(src, part), { recursive: true });
  }
  await mkdir(join(src, 'dist/cli'), { recursive: true });
  await writeFile(join(src, 'dist/cli/bin.js'), '');
  await mkdir(join(src, 'node_modules'));
  return src;
}

describe('scripts/install.sh', () => {
  it('installs user, directories, release and a hardened unit into a throwaway root, idempotently', async () => {
    const root = await throwawayRoot();
    const src = await fakeRelease();
    const version = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

    const first = await run('bash', [INSTALL, '--source', src, '--prefix', root]);
    expect(first.stdout).toContain(`installed minwang ${version}`);

    const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
    const user = passwd.split('\n').find((l) => l.startsWith('minwang:'))?.split(':') ?? [];
    expect(user[6]).toBe('/usr/sbin/nologin');
    const uid = Number(user[2]);
    expect(uid).toBeGreaterThan(0);
    expect(await readFile(join(root, 'etc/group'), 'utf8')).toMatch(/^gpio:x:\d+:minwang$/m);

    const etc = await stat(join(root, 'etc/minwang'));
    expect([mode(etc), etc.uid]).toEqual(['750', 0]);
    const secrets = await stat(join(root, 'etc/minwang/secrets'));
    expect([mode(secrets), secrets.uid]).toEqual(['700', uid]);
    const data = await stat(join(root, 'var/lib/minwang'));
    expect([mode(data), data.uid]).toEqual(['750', uid]);
    expect(mode(await stat(join(root, 'etc/minwang/config.yaml')))).toBe('640');
    expect(await readlink(join(root, 'opt/minwang/current'))).toBe(`releases/${version}`);
    expect(mode(await stat(join(root, 'usr/local/bin/minwang')))).toBe('755');

    const unit = await readFile(join(root, 'etc/systemd/system/minwang.service'), 'utf8');
    for (const line of ['Type=notify', 'WatchdogSec=60s', 'Restart=always', 'StartLimitIntervalSec=0', 'NoNewPrivileges=yes',
      'ProtectSystem=strict', 'ReadWritePaths=/var/lib/minwang', 'PrivateTmp=yes', 'User=minwang', 'SupplementaryGroups=gpio']) {
      expect(unit).toContain(`\n${line}\n`);
    }
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute/m);
    expect(unit).not.toMatch(/@[A-Z_]+@/);
    await run('systemd-analyze', ['verify', join(root, 'etc/systemd/system/minwang.service')]).catch((err: { stderr?: string }) => {
      // verify also checks that the unit's user exists on this machine; that is all it may complain about.
      expect(err.stderr ?? '').not.toMatch(/Unknown (key|section)|Invalid|Failed to parse/);
    });

    // A second run keeps the installer's config and secrets, tightens loose secret modes, adds nothing twice.
    await writeFile(join(root, 'etc/minwang/config.yaml'), 'host: {id: village-1}\n');
    await writeFile(join(root, 'etc/minwang/secrets/mqtt-password'), 'pw\n', { mode: 0o644 });
    await run('bash', [INSTALL, '--source', src, '--prefix', root]);
    expect(await readFile(join(root, 'etc/minwang/config.yaml'), 'utf8')).toBe('host: {id: village-1}\n');
    const secret = await stat(join(root, 'etc/minwang/secrets/mqtt-password'));
    expect([mode(secret), secret.uid]).toEqual(['600', uid]);
    expect((await readFile(join(root, 'etc/passwd'), 'utf8')).match(/^minwang:/gm)).toHaveLength(1);
  });

  it('refuses a directory that is not a release', async () => {
    const root = await throwawayRoot();
    const empty = await tempDir();
    await expect(run('bash', [INSTALL, '--source', empty, '--prefix', root])).rejects.toMatchObject({
      stderr: expect.stringContaining('is not a minwang release') as unknown,
    });
  });
});

import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../../helpers/cli.js';
import { fakeBundleDir, keyFiles, mode, run, tarBundle, throwawayRoot, type KeyFiles } from '../../../helpers/release.js';
import { tempDir } from '../../../helpers/tmp.js';

/** What Raspberry Pi Imager leaves on the FAT boot partition of a trixie (2025-10+) card. */
async function freshBootPartition(): Promise<string> {
  const boot = await tempDir('minwang-boot-');
  await writeFile(join(boot, 'config.txt'), '[all]\ndtparam=audio=on\n');
  await writeFile(join(boot, 'cmdline.txt'), 'console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait\n');
  await writeFile(join(boot, 'meta-data'), 'instance_id: rpios-image\n');
  await writeFile(join(boot, 'user-data'), '#cloud-config\n# Raspberry Pi OS first-boot settings\nhostname: raspberrypi\nmanage_etc_hosts: true\nusers:\n  - name: pi\n    groups: users,adm,sudo\n    lock_passwd: true\n');
  await writeFile(join(boot, 'network-config'), 'network:\n  version: 2\n');
  return boot;
}

const VILLAGE = `host:
  id: village-7
mqtt:
  url: mqtts://station.example:8883
  username: village-7
  # Only keys count, not comments: passwordFile: /root/elsewhere
  passwordFile: /etc/minwang/secrets/mqtt-password
`;

interface Kit {
  dir: string;
  key: KeyFiles;
  tarball: string;
  config: string;
  secret: string;
  sshKey: string;
  wifiPassword: string;
}

async function kit(): Promise<Kit> {
  const dir = await tempDir('minwang-kit-');
  const key = await keyFiles(dir);
  const tarball = await tarBundle(await fakeBundleDir(dir, '0.3.0', key), dir);
  const config = join(dir, 'village.yaml');
  await writeFile(config, VILLAGE);
  const secret = join(dir, 'mqtt-password');
  await writeFile(secret, 's3cret\n', { mode: 0o600 });
  const sshKey = join(dir, 'id_ed25519.pub');
  await writeFile(sshKey, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq6Sx3nn6a7Lc6sSwM1q0ZJ3zJHkFbWq2J7Zb9w0D6P installer@laptop\n');
  const wifiPassword = join(dir, 'wifi');
  await writeFile(wifiPassword, 'village-wifi-pass\n', { mode: 0o600 });
  return { dir, key, tarball, config, secret, sshKey, wifiPassword };
}

function provisionArgs(boot: string, k: Kit, overrides: Record<string, string> = {}): string[] {
  const opts = { boot, bundle: k.tarball, config: k.config, pubkey: k.key.publicKey, secret: k.secret, ...overrides };
  return ['provision', ...Object.entries(opts).flatMap(([name, value]) => [`--${name}`, value])];
}

/** Every file under `dir` with its mode and content, to show nothing changed. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    out.push(`${path} ${mode(await stat(path))} ${e.isFile() ? await readFile(path, 'utf8') : ''}`);
  }
  return out.sort();
}

describe('minwang provision', () => {
  it('writes the bundle, config, secrets and the cloud-init first-boot hook onto the boot partition', async () => {
    const boot = await freshBootPartition();
    const k = await kit();
    const result = await runCli([...provisionArgs(boot, k), '--ssh-key', k.sshKey,
      '--wifi-ssid', 'Village Net', '--wifi-password-file', k.wifiPassword, '--wifi-country', 'CN']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('card ready: minwang 0.3.0-linux-arm64');

    const expected: Record<string, string> = {
      'minwang': '755',
      'minwang/minwang-0.3.0-linux-arm64.tar.gz': '644',
      'minwang/release.pub': '644',
      'minwang/verify-bundle.sh': '755',
      'minwang/firstboot.sh': '755',
      'minwang/config.yaml': '600',
      'minwang/secrets': '700',
      'minwang/secrets/mqtt-password': '600',
      'user-data': '644',
      'network-config': '600',
      'meta-data': '644',
      'config.txt': '644',
      'cmdline.txt': '644',
    };
    const present = (await readdir(boot, { recursive: true })).sort();
    expect(present).toEqual(Object.keys(expected).sort());
    for (const [path, m] of Object.entries(expected)) expect(`${path} ${mode(await stat(join(boot, path)))}`).toBe(`${path} ${m}`);

    expect(await readFile(join(boot, 'minwang/config.yaml'), 'utf8')).toBe(VILLAGE);
    expect(await readFile(join(boot, 'minwang/secrets/mqtt-password'), 'utf8')).toBe('s3cret\n');
    expect(await readFile(join(boot, 'minwang/release.pub'), 'utf8')).toBe(await readFile(k.key.publicKey, 'utf8'));
    expect(await readFile(join(boot, 'minwang/minwang-0.3.0-linux-arm64.tar.gz'))).toEqual(await readFile(k.tarball));
    expect(await readFile(join(boot, 'cmdline.txt'), 'utf8')).not.toContain('firstrun');

    const userDataText = await readFile(join(boot, 'user-data'), 'utf8');
    expect(userDataText.startsWith('#cloud-config\n')).toBe(true);
    const userData = parse(userDataText) as Record<string, unknown>;
    expect(userData['hostname']).toBe('raspberrypi');
    expect(userData['users']).toEqual([{ name: 'pi', groups: 'users,adm,sudo', lock_passwd: true }]);
    expect(userData['ssh_pwauth']).toBe(false);
    expect(userData['ssh_authorized_keys']).toEqual([(await readFile(k.sshKey, 'utf8')).trim()]);
    expect(userData['runcmd']).toEqual([['systemctl', 'enable', '--now', 'ssh'], ['bash', '/boot/firmware/minwang/firstboot.sh']]);
    expect(parse(await readFile(join(boot, 'network-config'), 'utf8'))).toEqual({
      network: { version: 2, wifis: { wlan0: { dhcp4: true, optional: true, 'regulatory-domain': 'CN', 'access-points': { 'Village Net': { password: 'village-wifi-pass' } } } } },
    });

    // Provisioning the same card again adds the hook once, not twice.
    expect((await runCli(provisionArgs(boot, k))).code).toBe(0);
    expect((parse(await readFile(join(boot, 'user-data'), 'utf8')) as { runcmd: unknown[] }).runcmd).toHaveLength(2);
  });

  it('refuses an invalid config, a bundle that does not verify, or a missing secret, before touching the card', async () => {
    const k = await kit();
    const other = await keyFiles(k.dir, 'other');
    const badConfig = join(k.dir, 'bad.yaml');
    await writeFile(badConfig, 'host:\n  id: village-7\ncameras: 12\n');
    const noSecret = join(k.dir, 'no-secret.yaml');
    await writeFile(noSecret, VILLAGE.replace('mqtt-password', 'broker-pass'));
    const cases: [Record<string, string>, number, RegExp][] = [
      [{ config: badConfig }, 2, /bad\.yaml.*cameras[\s\S]*card was not touched/],
      [{ pubkey: other.publicKey }, 1, /does not verify/],
      [{ config: noSecret }, 1, /--secret FILE \(a file named broker-pass\)/],
      [{ bundle: k.config }, 1, /not a release bundle name/],
    ];
    for (const [overrides, code, message] of cases) {
      const boot = await freshBootPartition();
      const before = await snapshot(boot);
      const result = await runCli(provisionArgs(boot, k, overrides));
      expect(result.stderr, JSON.stringify(overrides)).toMatch(message);
      expect(result.code).toBe(code);
      expect(await snapshot(boot)).toEqual(before);
    }
    const legacy = await freshBootPartition();
    await run('rm', [join(legacy, 'user-data'), join(legacy, 'meta-data')]);
    const result = await runCli(provisionArgs(legacy, k));
    expect(result.stderr).toMatch(/predates cloud-init/);
  });

  it('first boot verifies and installs the bundle, moves config and secrets into /etc/minwang, and wipes them from the card', async () => {
    const boot = await freshBootPartition();
    const k = await kit();
    expect((await runCli(provisionArgs(boot, k))).code).toBe(0);
    const root = await throwawayRoot();
    const work = await tempDir('minwang-work-');

    const first = await run('bash', [join(boot, 'minwang/firstboot.sh')], { env: { ...process.env, MINWANG_ROOT: root, MINWANG_WORK: work } });
    expect(first.stdout).toContain('installed minwang 0.3.0-linux-arm64');

    const uid = Number((await readFile(join(root, 'etc/passwd'), 'utf8')).match(/^minwang:x:(\d+):/m)?.[1]);
    expect(await readFile(join(root, 'etc/minwang/config.yaml'), 'utf8')).toBe(VILLAGE);
    expect(mode(await stat(join(root, 'etc/minwang/config.yaml')))).toBe('640');
    const secret = await stat(join(root, 'etc/minwang/secrets/mqtt-password'));
    expect([mode(secret), secret.uid]).toEqual(['600', uid]);
    expect(await readFile(join(root, 'etc/minwang/secrets/mqtt-password'), 'utf8')).toBe('s3cret\n');
    expect(await readFile(join(root, 'etc/minwang/keys/release.pub'), 'utf8')).toBe(await readFile(k.key.publicKey, 'utf8'));
    expect(mode(await stat(join(root, 'opt/minwang/current/node/bin/node')))).toBe('755');
    expect(await readdir(join(boot, 'minwang'))).toEqual(['INSTALLED', 'firstboot.sh', 'release.pub', 'verify-bundle.sh']);
    expect(await readdir(work)).toEqual([]);

    // cloud-init runs runcmd once per instance, but a second run must be harmless anyway.
    const again = await run('bash', [join(boot, 'minwang/firstboot.sh')], { env: { ...process.env, MINWANG_ROOT: root, MINWANG_WORK: work } });
    expect(again.stdout).toContain('nothing to do');
  });

  it('first boot refuses a bundle swapped on the card after provisioning, and still wipes the secrets from the card', async () => {
    const boot = await freshBootPartition();
    const k = await kit();
    expect((await runCli(provisionArgs(boot, k))).code).toBe(0);
    const forger = await keyFiles(k.dir, 'forger');
    const forged = await tarBundle(await fakeBundleDir(await tempDir(), '0.3.0', forger), await tempDir());
    await writeFile(join(boot, 'minwang/minwang-0.3.0-linux-arm64.tar.gz'), await readFile(forged));
    const root = await throwawayRoot();
    await expect(run('bash', [join(boot, 'minwang/firstboot.sh')], { env: { ...process.env, MINWANG_ROOT: root, MINWANG_WORK: await tempDir() } }))
      .rejects.toMatchObject({ stderr: expect.stringContaining('does not verify') as unknown });
    expect(await readdir(join(root, 'etc'))).not.toContain('minwang');
    const left = await readdir(join(boot, 'minwang'));
    expect(left).not.toContain('config.yaml');
    expect(left).not.toContain('secrets');
    expect(await readFile(join(boot, 'minwang/FAILED'), 'utf8')).toMatch(/config and secrets were removed.*install log: \/var\/log\/minwang-firstboot.log/);
    expect(await readFile(join(root, 'var/log/minwang-firstboot.log'), 'utf8')).toContain('does not verify');
    expect(mode(await stat(join(root, 'var/log/minwang-firstboot.log')))).toBe('600');
  });
});

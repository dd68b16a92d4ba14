import { appendFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../../agent/core/errors.js';
import { loadPublicKey, verifyBundleDir } from '../../../../agent/field/release/sums.js';
import { fakeBundleDir, keyFiles, REPO, run } from '../../../helpers/release.js';
import { tempDir } from '../../../helpers/tmp.js';

const VERIFY = join(REPO, 'scripts/verify-bundle.sh');

/** Both checkers, node:crypto (laptop side) and openssl (host side), must give the same verdict. */
async function verdicts(dir: string, pubkeyFile: string): Promise<{ node: string; shell: string }> {
  const key = loadPublicKey(await readFile(pubkeyFile, 'utf8'), pubkeyFile);
  const node = await verifyBundleDir(dir, key).then(() => 'ok', (err: unknown) => (isAgentError(err, 'release.invalid') ? err.message : `unexpected ${String(err)}`));
  const shell = await run('bash', [VERIFY, dir, pubkeyFile]).then(() => 'ok', (err: { stderr?: string }) => err.stderr ?? 'failed');
  return { node, shell };
}

describe('release bundle signatures (agent/field/release/sums.ts and scripts/verify-bundle.sh)', () => {
  it('accepts a bundle signed with the key, in node and with openssl', async () => {
    const tmp = await tempDir();
    const key = await keyFiles(tmp);
    const dir = await fakeBundleDir(tmp, '9.9.9', key);
    expect(await verdicts(dir, key.publicKey)).toEqual({ node: 'ok', shell: 'ok' });
  });

  it('refuses another key, a changed file, an unlisted file, a symlink and a missing signature', async () => {
    const tmp = await tempDir();
    const key = await keyFiles(tmp);
    const other = await keyFiles(tmp, 'other');
    const cases: [string, (dir: string) => Promise<void>, RegExp, string | null][] = [
      ['another key', async () => {}, /does not verify/, other.publicKey],
      ['a changed file', (dir) => appendFile(join(dir, 'bin/minwang.js'), '// evil\n'), /minwang\.js|does not match/, null],
      ['an unlisted file', (dir) => writeFile(join(dir, 'node_modules/some-dep/extra.js'), ''), /not covered by the signature/, null],
      ['a symlink', (dir) => symlink('/etc/passwd', join(dir, 'link')), /not a regular file/, null],
      ['no signature', (dir) => rm(join(dir, 'SHA256SUMS.sig')), /unsigned/, null],
    ];
    for (const [what, tamper, reason, pub] of cases) {
      const parent = join(tmp, what.replace(/ /g, '-'));
      await mkdir(parent);
      const dir = await fakeBundleDir(parent, '9.9.9', key);
      await tamper(dir);
      const { node, shell } = await verdicts(dir, pub ?? key.publicKey);
      expect(node, what).toMatch(reason);
      expect(shell, what).toMatch(/verify-bundle: /);
      expect(shell, what).not.toBe('ok');
    }
  });
});

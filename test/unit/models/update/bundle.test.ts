import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../../agent/core/errors.js';
import { BUNDLE_MAGIC, openBundle } from '../../../../agent/models/update/bundle.js';
import { checkInstallPolicy } from '../../../../agent/models/update/policy.js';
import { testKey, tinyBundle } from '../../../helpers/model-bundles.js';

const maintainer = testKey();
const trust = { trustedKeys: [maintainer.publicKey], maxBytes: 1024 * 1024 };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAgentError(err, 'model.refused')) return `${String(err.details['reason'])}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Offset of a file's data inside the bundle (the bytes after its name and size). */
function offsetOf(bundle: Buffer, name: string): number {
  return bundle.indexOf(Buffer.from(name), bundle.lastIndexOf(Buffer.from('"signature"'))) + name.length + 4;
}

describe('model bundles', () => {
  it('opens a bundle signed by a trusted key, with every file', () => {
    const bundle = openBundle(tinyBundle({ key: maintainer, bundleVersion: 3 }), trust);
    expect(bundle.manifest.bundleVersion).toBe(3);
    expect(bundle.signedBy).toBe(maintainer.publicKey);
    expect(bundle.files.get('weights.bin')?.toString()).toBe('weights v3');
  });

  it('trusts any of several keys (rotation)', () => {
    const next = testKey();
    expect(openBundle(tinyBundle({ key: next, bundleVersion: 1 }), { ...trust, trustedKeys: [maintainer.publicKey, next.publicKey] }).signedBy).toBe(next.publicKey);
  });

  it('refuses a bundle signed by an unknown key', () => {
    expect(refusal(() => openBundle(tinyBundle({ key: testKey(), bundleVersion: 1 }), trust))).toMatch(/^unknown_key: .*not among the trusted keys/);
  });

  it('refuses a signature that does not match the manifest', () => {
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 1 });
    const at = bundle.indexOf(Buffer.from('"bundleVersion":1'));
    bundle.write('"bundleVersion":9', at);
    expect(refusal(() => openBundle(bundle, trust))).toMatch(/^bad_signature: /);
  });

  it('refuses a signature made by another key that claims a trusted one', () => {
    const forger = testKey();
    const forged = tinyBundle({ key: forger, bundleVersion: 1 });
    const swapped = Buffer.from(forged.toString('latin1').replace(forger.publicKey, maintainer.publicKey), 'latin1');
    expect(refusal(() => openBundle(swapped, trust))).toMatch(/^bad_signature: /);
  });

  it('refuses one flipped byte in the weights', () => {
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 1 });
    const at = offsetOf(bundle, 'weights.bin');
    bundle[at] = (bundle[at] as number) ^ 0x01;
    expect(refusal(() => openBundle(bundle, trust))).toMatch(/^hash_mismatch: weights.bin has sha256 /);
  });

  it('refuses a path-traversal file name inside the bundle', () => {
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 1 });
    const at = bundle.indexOf(Buffer.from('weights.bin'), bundle.lastIndexOf(Buffer.from('"signature"')));
    bundle.write('../../x.bin', at);
    expect(refusal(() => openBundle(bundle, trust))).toMatch(/^unsafe_name: .*"\.\.\/\.\.\/x\.bin".*path traversal/);
  });

  it('refuses an absolute path and a name that is not in the manifest', () => {
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 1 });
    const at = bundle.indexOf(Buffer.from('weights.bin'), bundle.lastIndexOf(Buffer.from('"signature"')));
    const absolute = Buffer.from(bundle);
    absolute.write('/etc/passwd', at);
    expect(refusal(() => openBundle(absolute, trust))).toMatch(/^unsafe_name: /);
    bundle.write('weights.xyz', at);
    expect(refusal(() => openBundle(bundle, trust))).toMatch(/^unexpected_file: /);
  });

  it('refuses a bundle over the cap, a truncated one, trailing bytes and a wrong magic', () => {
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 1 });
    expect(refusal(() => openBundle(bundle, { ...trust, maxBytes: bundle.length - 1 }))).toMatch(/^too_large: /);
    expect(refusal(() => openBundle(bundle.subarray(0, bundle.length - 3), trust))).toMatch(/^truncated: /);
    expect(refusal(() => openBundle(Buffer.concat([bundle, Buffer.from('x')]), trust))).toMatch(/^trailing_bytes: /);
    expect(refusal(() => openBundle(Buffer.concat([Buffer.from('tar'), bundle.subarray(3)]), trust))).toMatch(/^not_a_bundle: /);
    expect(BUNDLE_MAGIC.length).toBeGreaterThan(0);
  });

  it('refuses an unsigned bundle', () => {
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 1 });
    const sigLengthAt = BUNDLE_MAGIC.length + 4 + bundle.readUInt32BE(BUNDLE_MAGIC.length);
    const sigLength = bundle.readUInt32BE(sigLengthAt);
    const unsigned = Buffer.concat([bundle.subarray(0, sigLengthAt), Buffer.from([0, 0, 0, 2]), Buffer.from('{}'), bundle.subarray(sigLengthAt + 4 + sigLength)]);
    expect(refusal(() => openBundle(unsigned, trust))).toMatch(/^unsigned: /);
  });

  describe('install policy', () => {
    const facts = { now: new Date('2026-06-01T00:00:00Z'), agentVersion: '0.1.0', highestInstalled: 5 };
    const manifestOf = (options: Parameters<typeof tinyBundle>[0]) => openBundle(tinyBundle(options), trust).manifest;

    it('accepts a newer version', () => {
      expect(() => checkInstallPolicy(manifestOf({ key: maintainer, bundleVersion: 6 }), facts)).not.toThrow();
    });

    it('refuses the same or an older version unless signed as a rollback', () => {
      expect(refusal(() => checkInstallPolicy(manifestOf({ key: maintainer, bundleVersion: 5 }), facts))).toMatch(/^older_version: bundle version 5 is not above the installed version 5/);
      expect(refusal(() => checkInstallPolicy(manifestOf({ key: maintainer, bundleVersion: 4 }), facts))).toMatch(/^older_version: /);
      expect(() => checkInstallPolicy(manifestOf({ key: maintainer, bundleVersion: 4, rollback: true }), facts)).not.toThrow();
    });

    it('refuses an expired bundle and one for a newer agent', () => {
      expect(refusal(() => checkInstallPolicy(manifestOf({ key: maintainer, bundleVersion: 6, expires: '2026-05-31T00:00:00Z' }), facts))).toMatch(/^expired: /);
      expect(refusal(() => checkInstallPolicy(manifestOf({ key: maintainer, bundleVersion: 6 }), { ...facts, agentVersion: '0.0.0' }))).toMatch(/^agent_too_old: /);
    });
  });
});

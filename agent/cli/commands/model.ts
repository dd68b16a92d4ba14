import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { AgentError, EXIT, type ExitCode } from '../../core/errors.js';
import { agentVersion } from '../../core/version.js';
import { openBundle } from '../../models/update/bundle.js';
import { generateMaintainerKey, parsePrivateKey, publicKeyString } from '../../models/update/keys.js';
import { packModelDir } from '../../models/update/pack.js';
import { checkInstallPolicy } from '../../models/update/policy.js';
import type { CliIO, Command, OptionValues } from '../command.js';

const USAGE = 'usage: minwang model keygen [--out FILE] | pack DIR --key FILE --bundle-version N [--out FILE] | verify BUNDLE --pubkey KEY';

export const modelCommand: Command = {
  name: 'model',
  summary: "maintainers' tools for signed model bundles: keygen | pack | verify",
  usage: 'model keygen|pack|verify ...',
  help: [
    'keygen [--out FILE]               write an Ed25519 private key (0600, default minwang-model.key)',
    '                                  and print its public key for models.trustedKeys',
    'pack DIR --key FILE --bundle-version N [--out FILE] [--valid-days D] [--min-agent V] [--rollback]',
    '                                  sign DIR (manifest.json + files/) into one bundle file',
    'verify BUNDLE --pubkey KEY        check the signature and every file; KEY is the key or a file holding it',
    '',
    'Exits 0 when done (verify: the bundle is good), 1 when refused or failed, 2 on usage.',
  ],
  options: {
    key: { type: 'string' }, pubkey: { type: 'string' }, out: { type: 'string' },
    'bundle-version': { type: 'string' }, 'valid-days': { type: 'string' }, 'min-agent': { type: 'string' }, rollback: { type: 'boolean' },
  },
  allowPositionals: true,
  async run({ io, values, positionals }): Promise<ExitCode> {
    const [action, target] = positionals;
    if (action === 'keygen') return keygen(io, values);
    if (action === 'pack' && target !== undefined) return pack(io, values, target);
    if (action === 'verify' && target !== undefined) return verifyBundle(io, values, target);
    throw new AgentError('usage', USAGE);
  },
};

async function keygen(io: CliIO, values: OptionValues): Promise<ExitCode> {
  const out = stringOption(values, 'out') ?? 'minwang-model.key';
  if (existsSync(out)) throw new AgentError('usage', `${out} exists; refusing to overwrite a key`);
  const pair = generateMaintainerKey();
  await writeFile(out, pair.privatePem, { mode: 0o600, flag: 'wx' });
  io.stdout.write(`${pair.publicKey}\n`);
  io.stderr.write(`private key written to ${out} (keep it offline); add the public key above to models.trustedKeys\n`);
  return EXIT.OK;
}

/** Default validity of a signed rollback bundle (a normal bundle: 365 days). */
const ROLLBACK_VALID_DAYS = 7;

async function pack(io: CliIO, values: OptionValues, dir: string): Promise<ExitCode> {
  const keyFile = requireOption(values, 'key');
  const bundleVersion = positiveInt(requireOption(values, 'bundle-version'), '--bundle-version');
  // A rollback bundle may replace a newer model: keep its window short unless asked otherwise.
  const rollback = values['rollback'] === true;
  const validDays = positiveInt(stringOption(values, 'valid-days') ?? (rollback ? String(ROLLBACK_VALID_DAYS) : '365'), '--valid-days');
  const privateKey = parsePrivateKey(await readFile(keyFile, 'utf8'));
  const { bundle, manifest } = await packModelDir({
    dir, privateKey, bundleVersion, validDays, now: new Date(),
    minAgentVersion: stringOption(values, 'min-agent') ?? agentVersion(),
    rollback,
  });
  const out = stringOption(values, 'out') ?? `${manifest.model.id}-${bundleVersion}.mwbundle`;
  await writeFile(out, bundle);
  io.stdout.write(`${out}: ${manifest.model.id} bundle ${bundleVersion}${manifest.rollback ? ' (rollback)' : ''}, ${bundle.length} bytes, signed by ${publicKeyString(privateKey)}, expires ${manifest.expires}\n`);
  return EXIT.OK;
}

async function verifyBundle(io: CliIO, values: OptionValues, file: string): Promise<ExitCode> {
  const given = requireOption(values, 'pubkey');
  const key = existsSync(given) ? (await readFile(given, 'utf8')).trim() : given;
  const bytes = await readFile(file);
  try {
    const bundle = openBundle(bytes, { trustedKeys: [key], maxBytes: Number.MAX_SAFE_INTEGER });
    checkInstallPolicy(bundle.manifest, { now: new Date(), agentVersion: bundle.manifest.minAgentVersion, highestInstalled: 0 });
    const m = bundle.manifest;
    io.stdout.write(`${file}: good: ${m.model.id} bundle ${m.bundleVersion}${m.rollback ? ' (rollback)' : ''}, ${m.model.files.length} files, expires ${m.expires}, needs agent ${m.minAgentVersion}\n`);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof AgentError && err.code === 'model.refused') {
      io.stderr.write(`minwang model verify: ${file}: refused (${String(err.details['reason'])}): ${err.message}\n`);
      return EXIT.FAILURE;
    }
    throw err;
  }
}

function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function requireOption(values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new AgentError('usage', `--${name} is required\n${USAGE}`);
  return value;
}

function positiveInt(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new AgentError('usage', `${what} must be a positive integer, not "${text}"`);
  return Number(text);
}

import { AgentError, EXIT, type ExitCode } from '../../core/errors.js';
import { provisionBootPartition, type WifiSettings } from '../../field/release/provision.js';
import type { Command, OptionValues } from '../command.js';
import { definedProps } from '../../core/defined-props.js';

function text(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: OptionValues, name: string): string {
  const v = text(values, name);
  if (v === undefined) throw new AgentError('usage', `give --${name}\nusage: minwang ${provisionCommand.usage}`);
  return v;
}

function wifiSettings(values: OptionValues): WifiSettings | undefined {
  const ssid = text(values, 'wifi-ssid');
  const passwordFile = text(values, 'wifi-password-file');
  const country = text(values, 'wifi-country');
  if (ssid === undefined && passwordFile === undefined && country === undefined) return undefined;
  if (ssid === undefined || passwordFile === undefined || country === undefined) {
    throw new AgentError('usage', 'Wi-Fi needs all three of --wifi-ssid, --wifi-password-file and --wifi-country');
  }
  return { ssid, passwordFile, country };
}

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'prepare a freshly flashed Raspberry Pi OS card to install minwang on first boot, offline',
  usage: 'provision --boot DIR --bundle TARBALL --config FILE --pubkey FILE [--secret FILE]... [--ssh-key FILE] [--wifi-ssid NAME --wifi-password-file FILE --wifi-country CC]',
  help: [
    '    --boot DIR                the mounted boot partition (the FAT one with config.txt and user-data)',
    '    --bundle TARBALL          minwang-<version>-linux-arm64.tar.gz from `npm run bundle`',
    '    --config FILE             the village host\'s config.yaml (checked first; an invalid one is refused)',
    '    --pubkey FILE             the maintainers\' Ed25519 public key (PEM): the bundle must verify with it',
    '    --secret FILE             a secret file the config reads from /etc/minwang/secrets/<name> (repeatable)',
    '    --ssh-key FILE            an OpenSSH public key for the default user; enables sshd, no passwords',
    '    --wifi-ssid NAME          join this Wi-Fi network (with --wifi-password-file and --wifi-country)',
    '',
    'Nothing is written unless every input checks out. On first boot cloud-init runs',
    '/boot/firmware/minwang/firstboot.sh: it verifies the bundle, installs and starts minwang and',
    'removes the config and secrets from the card. See docs/release.md.',
  ],
  options: {
    boot: { type: 'string' }, bundle: { type: 'string' }, config: { type: 'string', short: 'c' }, pubkey: { type: 'string' },
    secret: { type: 'string', multiple: true }, 'ssh-key': { type: 'string' },
    'wifi-ssid': { type: 'string' }, 'wifi-password-file': { type: 'string' }, 'wifi-country': { type: 'string' },
  },
  async run({ io, values }): Promise<ExitCode> {
    const secrets = values['secret'];
    const sshKey = text(values, 'ssh-key');
    const wifi = wifiSettings(values);
    const report = await provisionBootPartition({
      boot: required(values, 'boot'),
      bundle: required(values, 'bundle'),
      config: required(values, 'config'),
      publicKey: required(values, 'pubkey'),
      secrets: Array.isArray(secrets) ? secrets.filter((s): s is string => typeof s === 'string') : [],
      ...definedProps({ sshKey, wifi }),
    });
    for (const file of report.written) io.stdout.write(`wrote ${file}\n`);
    io.stdout.write(`card ready: minwang ${report.version} installs on first boot\n`);
    return EXIT.OK;
  },
};

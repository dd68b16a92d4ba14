import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { consoleCommand } from './console.js';
import { demoCommand } from './demo.js';
import { discoverCommand } from './discover.js';
import { pendingCommand } from './pending.js';
import { runCommand } from './run.js';
import { detectCommand } from './detect.js';
import { provisionCommand } from './provision.js';

export { detectCommand };

export { checkCommand };

export const modelCommand = pendingCommand({
  name: 'model',
  summary: "maintainers' tools for signed model bundles: keygen | pack | verify",
  usage: 'model keygen|pack|verify ...',
  help: ['keygen              write an Ed25519 private key (0600) and print the public key', 'pack DIR --key KEY  build and sign a bundle', 'verify BUNDLE --pubkey KEY'],
  options: { key: { type: 'string' }, pubkey: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
  plan: 'It will create keys, pack and verify signed model bundles.',
});

export { consoleCommand, provisionCommand };

export { demoCommand };

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, checkCommand, discoverCommand, detectCommand, modelCommand, provisionCommand, consoleCommand, demoCommand];

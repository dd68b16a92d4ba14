import type { Command } from '../command.js';
import { CONFIG_OPTION } from '../command.js';
import { consoleCommand } from './console.js';
import { discoverCommand } from './discover.js';
import { pendingCommand } from './pending.js';
import { runCommand } from './run.js';
import { detectCommand } from './detect.js';
import { modelCommand } from './model.js';

export { detectCommand };

export const checkCommand = pendingCommand({
  name: 'check',
  summary: "the installer's doctor: cameras, broker, disks, GPIO, model self-test",
  usage: 'check [--config FILE] [--json]',
  help: ['-c, --config FILE   config file', '    --json          one JSON report instead of a checklist', '', 'Exits 0 only when every check passes.'],
  options: { ...CONFIG_OPTION, json: { type: 'boolean' } },
  plan: 'It will check the config, every camera, the broker, disks, GPIO, the clock and the model, and exit 0 only when all pass.',
});

export { modelCommand };

export { consoleCommand };

export const demoCommand = pendingCommand({
  name: 'demo',
  summary: 'the whole loop on one machine: broker, simulated cameras, agent, console',
  usage: 'demo',
  help: [],
  options: {},
  plan: 'It will start an embedded broker, cameras replaying real footage, the agent and the console showing alerts.',
});

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, checkCommand, discoverCommand, detectCommand, modelCommand, consoleCommand, demoCommand];

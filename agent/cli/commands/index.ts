import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { consoleCommand } from './console.js';
import { demoCommand } from './demo.js';
import { detectCommand } from './detect.js';
import { discoverCommand } from './discover.js';
import { modelCommand } from './model.js';
import { provisionCommand } from './provision.js';
import { runCommand } from './run.js';

export { checkCommand, consoleCommand, demoCommand, detectCommand, discoverCommand, modelCommand, provisionCommand, runCommand };

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, checkCommand, discoverCommand, detectCommand, modelCommand, provisionCommand, consoleCommand, demoCommand];

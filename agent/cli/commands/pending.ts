import { EXIT } from '../../core/errors.js';
import type { Command, OptionSpecs } from '../command.js';

/**
 * A command whose work another issue delivers. It says so plainly and exits 1, rather than
 * pretending to work.
 */
export function pendingCommand(spec: {
  name: string;
  summary: string;
  usage: string;
  help: string[];
  options: OptionSpecs;
  allowPositionals?: boolean;
  plan: string;
}): Command {
  return {
    ...spec,
    async run({ io }) {
      io.stderr.write(`minwang ${spec.name}: not built yet. ${spec.plan}\n`);
      return Promise.resolve(EXIT.FAILURE);
    },
  };
}

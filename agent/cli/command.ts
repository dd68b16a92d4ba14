import type { ParseArgsConfig } from 'node:util';
import type { ExitCode } from '../core/errors.js';
import type { LogFormat, LogLevel } from '../core/logger.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command may touch of the process: streams, env and signals, injected for tests. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Subscribes to SIGTERM/SIGINT; returns an unsubscribe function. */
  onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

export interface CommandContext {
  io: CliIO;
  values: OptionValues;
  positionals: string[];
  logLevel: LogLevel;
  logFormat: LogFormat | undefined;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) after `minwang `, e.g. `run [--config FILE]`. */
  usage: string;
  /** Lines describing options and behaviour, shown by `--help`. */
  help: string[];
  options: OptionSpecs;
  allowPositionals?: boolean;
  run(ctx: CommandContext): Promise<ExitCode>;
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const satisfies OptionSpecs;

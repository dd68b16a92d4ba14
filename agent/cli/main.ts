import { parseArgs } from 'node:util';
import { AgentError, EXIT, exitCodeFor, errorMessage, type ExitCode } from '../core/errors.js';
import { agentVersion } from '../core/version.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../core/logger.js';
import type { CliIO, Command, OptionSpecs } from './command.js';
import { COMMANDS } from './commands/index.js';

const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const satisfies OptionSpecs;

const GLOBAL_HELP = [
  '-h, --help               show help',
  '-V, --version            print the version',
  `    --log-level LEVEL    ${LOG_LEVELS.join('|')} (default info)`,
  '    --log-format FORMAT  json|pretty (default: pretty on a terminal, else json)',
];


/** Runs the CLI and returns the exit code; never calls process.exit itself. */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${agentVersion()}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`minwang: unknown command "${name}"\n\n${topHelp()}`);
    return EXIT.USAGE;
  }
  try {
    return await runCommand(command, rest, io);
  } catch (err) {
    io.stderr.write(`minwang ${command.name}: ${errorMessage(err)}\n`);
    return exitCodeFor(err);
  }
}

async function runCommand(command: Command, args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(command, args);
  if (values['help'] === true) {
    io.stdout.write(commandHelp(command));
    return EXIT.OK;
  }
  if (values['version'] === true) {
    io.stdout.write(`${agentVersion()}\n`);
    return EXIT.OK;
  }
  return command.run({
    io,
    values,
    positionals,
    logLevel: oneOf(values['log-level'], LOG_LEVELS, '--log-level') ?? 'info',
    logFormat: oneOf(values['log-format'], ['json', 'pretty'] as const, '--log-format'),
  });
}

function parseCommandArgs(command: Command, args: string[]) {
  try {
    return parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (err) {
    throw new AgentError('usage', `${errorMessage(err)}\nusage: minwang ${command.usage}  (see minwang ${command.name} --help)`);
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new AgentError('usage', `${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `minwang ${agentVersion()} — the village camera agent`,
    '',
    'usage: minwang <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'options for every command:',
    ...GLOBAL_HELP.map((l) => `  ${l}`),
    '',
    'Run `minwang <command> --help` for a command\'s own options.',
    'Exit codes: 0 ok, 1 failure, 2 usage or config error.',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`usage: minwang ${command.usage}`, '', command.summary, '', ...command.help.map((l) => (l === '' ? '' : `  ${l}`)), '', ...GLOBAL_HELP.map((l) => `  ${l}`), ''].join('\n');
}

export type { LogFormat, LogLevel };

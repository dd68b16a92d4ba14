import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { stripCredentials } from './redact.js';

export type { Logger };
export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level?: LogLevel;
  /** Default: pretty when the stream is a terminal, else JSON. */
  format?: LogFormat;
  /** Default: stderr, so stdout stays free for command output (`detect --json`). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The root logger. Modules take a child from it (`logger.child({ module: 'outbox' })`);
 * nothing in the agent imports a logger singleton.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const format = options.format ?? (stream.isTTY === true ? 'pretty' : 'json');
  const level = options.level ?? 'info';
  // A last line of defence: a password inside a URL never reaches a log line, whoever logged it.
  const hooks = { streamWrite: (line: string) => stripCredentials(line) };
  const base = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, hooks };
  if (format === 'pretty') {
    return pino(base, pretty({ destination: stream, sync: true, colorize: stream.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' }));
  }
  return pino(base, stream);
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

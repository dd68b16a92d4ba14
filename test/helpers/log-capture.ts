import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../agent/core/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  time: string;
  [field: string]: unknown;
}

/** A JSON logger whose lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', stream }), lines };
}

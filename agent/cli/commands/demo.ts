import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration, parseDuration } from '../../config/duration.js';
import { AgentError, EXIT, errorMessage, type ExitCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { Demo } from '../../field/demo/demo.js';
import { YARD } from '../../field/demo/demo-config.js';
import { demoClip } from '../../field/demo/footage.js';
import { realProcesses } from '../../ports/process.js';
import type { CliIO, Command, OptionValues } from '../command.js';
import { withBudget } from '../budget.js';

const DEFAULT_BLACK_AFTER_MS = 20_000;
const DEFAULT_WEB_PORT = 8080;
/** Stopping is bounded: after this the demo exits even if something hangs. */
const STOP_BUDGET_MS = 15_000;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole loop on one machine: broker, simulated cameras, agent, console',
  usage: 'demo [--json] [--duration DUR] [--save DIR] [--black-after DUR] [--web-port PORT]',
  help: [
    'Starts an embedded MQTT broker, three simulated cameras replaying real footage (vtest.avi,',
    'fetched on first use from a pinned Debian package by scripts/fetch-footage.sh; two snapshot',
    'cameras and one RTSP camera), the agent with the default model, and the station console, on',
    'the terminal and as a web page on 127.0.0.1 (events with their clips, "look now").',
    `The "${YARD}" camera's picture goes black after --black-after (default ${formatDuration(DEFAULT_BLACK_AFTER_MS)}).`,
    '',
    '    --json             the console\'s JSON lines on stdout instead of the live view',
    '    --duration DUR     stop by itself after DUR (e.g. 90s); default: run until Ctrl-C',
    '    --save DIR         where thumbnails go (default: a new directory under the temp dir)',
    '    --black-after DUR  when the faulty camera goes black',
    '    --web-port PORT    the web console\'s port on 127.0.0.1 (default 8080; 0 picks a free one)',
    '',
    'Exits 0 after Ctrl-C, SIGTERM or --duration; 1 when something fails (e.g. no footage).',
  ],
  options: { json: { type: 'boolean' }, duration: { type: 'string' }, save: { type: 'string' }, 'black-after': { type: 'string' }, 'web-port': { type: 'string' } },
  async run({ io, values, logLevel, logFormat }): Promise<ExitCode> {
    const durationMs = durationFlag(values, 'duration');
    const blackAfterMs = durationFlag(values, 'black-after') ?? DEFAULT_BLACK_AFTER_MS;
    const port = webPort(values);
    const clip = await demoClip({ env: io.env, processes: realProcesses, progress: io.stderr });
    const saveDir = typeof values['save'] === 'string' ? values['save'] : await mkdtemp(join(tmpdir(), 'minwang-demo-thumbnails-'));
    const json = values['json'] === true;
    // The console owns the screen; the agent's logs show warnings only, unless asked for more.
    const logger = createLogger({ level: values['log-level'] === undefined ? 'warn' : logLevel, format: logFormat, stream: io.stderr });
    const demo = new Demo({
      clip, saveDir, blackAfterMs, logger, webPort: port,
      terminal: { mode: json ? 'json' : io.stdout.isTTY === true ? 'screen' : 'lines', out: io.stdout },
    });
    const stop = stopRequest(io, durationMs);
    try {
      io.stderr.write(intro(saveDir, blackAfterMs, durationMs));
      await Promise.race([demo.start().then(() => io.stderr.write(`minwang demo: web console at ${demo.webUrl() ?? '?'}\n`)), stop.requested]);
      await stop.requested;
      return EXIT.OK;
    } catch (err) {
      io.stderr.write(`minwang demo: ${errorMessage(err)}\n`);
      return EXIT.FAILURE;
    } finally {
      stop.dispose();
      const failed = await withBudget(demo.stop(), STOP_BUDGET_MS);
      io.stderr.write(failed === undefined ? 'minwang demo: stopping took too long; exiting anyway\n' : `minwang demo: stopped${failed.length === 0 ? '' : ` (failed to stop: ${failed.join(', ')})`}. Thumbnails are in ${saveDir}\n`);
      logger.flush();
    }
  },
};

function intro(saveDir: string, blackAfterMs: number, durationMs: number | undefined): string {
  return [
    'minwang demo: an embedded broker, three cameras replaying real footage (one over RTSP), the agent and the console.',
    `  thumbnails: ${saveDir}`,
    `  the "${YARD}" camera goes black after ${formatDuration(blackAfterMs)}; watch it turn degraded`,
    `  ${durationMs === undefined ? 'Ctrl-C stops everything.' : `stops by itself after ${formatDuration(durationMs)} (or Ctrl-C).`}`,
    '  loading the model and the footage takes a few seconds...',
    '',
  ].join('\n');
}

function stopRequest(io: CliIO, durationMs: number | undefined): { requested: Promise<void>; dispose: () => void } {
  let resolve: () => void = () => undefined;
  const requested = new Promise<void>((r) => { resolve = r; });
  const unsubscribe = io.onStopSignal(() => resolve());
  // Signal listeners do not keep the event loop alive; this does, until the stop.
  const timer = setTimeout(() => resolve(), durationMs ?? 2 ** 31 - 1);
  return { requested, dispose: () => { clearTimeout(timer); unsubscribe(); } };
}

function webPort(values: OptionValues): number {
  const text = values['web-port'];
  if (typeof text !== 'string') return DEFAULT_WEB_PORT;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : -1;
  if (port < 0 || port > 65535) throw new AgentError('usage', `--web-port ${JSON.stringify(text)}: expected a port number 0-65535 (0 picks a free one)`);
  return port;
}

function durationFlag(values: OptionValues, name: string): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000) throw new AgentError('usage', `--${name} ${JSON.stringify(text)}: expected a duration of at least 1s (examples: 90s, 5m)`);
  return ms;
}

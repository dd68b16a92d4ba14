import { createAgent } from '../../app/agent.js';
import { loadConfig } from '../../config/load.js';
import { EXIT, errorMessage, type ExitCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { realHostPorts } from '../../ports/index.js';
import { CONFIG_OPTION, type Command } from '../command.js';
import { configPath } from '../config-path.js';
import { withBudget } from '../budget.js';
import { RestartRecord } from '../../host/state/restart-record.js';
import { waitBeforeRestart } from '../../host/watchdog/restart-backoff.js';
import { systemdNotifier } from '../../host/watchdog/notifier.js';
import { definedProps } from '../../core/defined-props.js';

/** Shutdown is bounded: after this the process exits even if a module hangs. */
const SHUTDOWN_BUDGET_MS = 15_000;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent (SIGTERM or SIGINT stops it cleanly)',
  usage: 'run [--config FILE]',
  help: [
    '-c, --config FILE   config file (default: $MINWANG_CONFIG or /etc/minwang/config.yaml)',
    '',
    'Exits 0 after a clean stop, 1 when a module fails, 2 on a bad config (nothing starts).',
  ],
  options: CONFIG_OPTION,
  async run({ io, values, logLevel, logFormat }): Promise<ExitCode> {
    const file = configPath(values, io.env);
    const config = await loadConfig(file, { env: io.env });
    const logger = createLogger({ level: logLevel, format: logFormat, stream: io.stderr });
    const log = logger.child({ module: 'run' });
    const ports = { ...realHostPorts(), env: io.env };
    const record = new RestartRecord({ fs: ports.fs, dir: config.storage.dataDir, clock: ports.clock });

    let stopRequested: (signal: NodeJS.Signals) => void = () => undefined;
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => { stopRequested = resolve; });
    const aborted = new AbortController();
    const unsubscribe = io.onStopSignal((signal) => { aborted.abort(); stopRequested(signal); });
    // Signal listeners do not keep Node's event loop alive; this does, until a stop is asked.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      // systemd restarts the agent forever; after failures in a row it waits longer and says why.
      const history = await record.begin();
      const notifier = io.env['NOTIFY_SOCKET'] ? systemdNotifier({ processes: ports.processes, clock: ports.clock, env: io.env }) : undefined;
      await waitBeforeRestart({ history, clock: ports.clock, logger: log, signal: aborted.signal, ...definedProps({ notifier }) });
      if (aborted.signal.aborted) {
        await record.clear();
        return EXIT.OK;
      }
      const agent = createAgent({ config, ports, logger, restarts: { history, onStable: () => record.settled() } });
      await agent.start();
      log.info({ host: config.host.id, cameras: config.cameras.length, config: file }, 'minwang started');
      const signal = await stopSignal;
      log.info({ signal }, 'stopping');
      const failed = await withBudget(agent.stop(), SHUTDOWN_BUDGET_MS);
      if (failed === undefined) {
        log.error({ budgetMs: SHUTDOWN_BUDGET_MS }, 'shutdown took too long; exiting anyway');
        return EXIT.FAILURE;
      }
      log.info({ failed }, failed.length === 0 ? 'stopped cleanly' : 'stopped with errors');
      await (failed.length === 0 ? record.clear() : record.fail(`modules failed to stop: ${failed.join(', ')}`));
      return failed.length === 0 ? EXIT.OK : EXIT.FAILURE;
    } catch (err) {
      log.fatal({ err }, `agent failed: ${errorMessage(err)}`);
      await record.fail(errorMessage(err));
      return EXIT.FAILURE;
    } finally {
      clearInterval(keepAlive);
      unsubscribe();
      logger.flush();
    }
  },
};
